package upgrade

import (
	"fmt"
	"reflect"
)

// Convert makes a Transformer from a function of the object's own old state only (the common
// case: a class whose objects convert independently of each other). States are Old in the old
// shape and New in the new one.
func Convert[Old, New any](f func(Old) (New, error)) Transformer {
	return func(o *Object, old any, _ View) (any, error) {
		s, ok := old.(Old)
		if !ok {
			return nil, fmt.Errorf("state is %T, the transformer expects %T", old, *new(Old))
		}
		return f(s)
	}
}

// CopyFields makes a Transformer for the most common change: the new struct keeps the old
// one's fields (same names and types, or renamed as renames says: old name → new name), drops
// some, and adds others, which fill sets from the old state (fill may be nil: added fields
// start at their zero value). Old and New are pointers to structs, the usual shape of states.
// The field mapping is checked once, when CopyFields is called: a renamed field that does not
// exist or a field whose type changed is a programming error and panics there.
func CopyFields[Old, New any](renames map[string]string, fill func(old Old, new New) error) Transformer {
	ot, nt := reflect.TypeFor[Old](), reflect.TypeFor[New]()
	if ot.Kind() != reflect.Pointer || ot.Elem().Kind() != reflect.Struct ||
		nt.Kind() != reflect.Pointer || nt.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("upgrade.CopyFields: %v and %v must be pointers to structs", ot, nt))
	}
	ot, nt = ot.Elem(), nt.Elem()
	type pair struct{ from, to []int }
	var pairs []pair
	for name := range renames {
		if _, ok := ot.FieldByName(name); !ok {
			panic(fmt.Sprintf("upgrade.CopyFields: %v has no field %s to rename", ot, name))
		}
	}
	for i := range ot.NumField() {
		of := ot.Field(i)
		if !of.IsExported() {
			continue
		}
		name := of.Name
		if r, ok := renames[name]; ok {
			name = r
		}
		nf, ok := nt.FieldByName(name)
		if !ok {
			continue // dropped
		}
		if nf.Type != of.Type {
			panic(fmt.Sprintf("upgrade.CopyFields: field %s is %v in %v but %v in %v: write a transformer for it",
				of.Name, of.Type, ot, nf.Type, nt))
		}
		pairs = append(pairs, pair{of.Index, nf.Index})
	}
	return func(o *Object, old any, _ View) (any, error) {
		s, ok := old.(Old)
		if !ok {
			return nil, fmt.Errorf("state is %T, the transformer expects %T", old, *new(Old))
		}
		src := reflect.ValueOf(s).Elem()
		dst := reflect.New(nt)
		for _, p := range pairs {
			dst.Elem().FieldByIndex(p.to).Set(src.FieldByIndex(p.from))
		}
		n := dst.Interface().(New)
		if fill != nil {
			if err := fill(s, n); err != nil {
				return nil, err
			}
		}
		return n, nil
	}
}
