package experiments

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// Strict JSON: encoding/json lets through, silently, what a hand-edited file gets wrong — a
// key given twice (the last wins), a key in another case ("FIXED" fills fixed), data after
// the object, a byte-order mark. Parse and ReadManifest run checkStrictJSON first, so that
// each is an error that says what is wrong and where.

// maxJSONDepth bounds the nesting the walk follows (encoding/json's own limit is 10000).
const maxJSONDepth = 200

// checkStrictJSON checks data, a document to be decoded into a value of type t. Syntax
// errors come back as encoding/json's. Types with their own UnmarshalJSON are walked for
// duplicates only: they check their keys.
func checkStrictJSON(data []byte, t reflect.Type) error {
	if bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		return errors.New("the file starts with a UTF-8 byte-order mark (bytes EF BB BF), which JSON does not allow: save it as UTF-8 without a BOM")
	}
	w := strictWalk{dec: json.NewDecoder(bytes.NewReader(data)), data: data}
	w.dec.UseNumber()
	if err := w.value(t, "", 0); err != nil {
		return err
	}
	end := int(w.dec.InputOffset())
	rest := bytes.TrimSpace(data[end:])
	if len(rest) == 0 {
		return nil
	}
	at := w.where(end + bytes.Index(data[end:], rest[:1]))
	if len(rest) > 20 {
		rest = append(rest[:20:20], "…"...)
	}
	return fmt.Errorf("more after the end of the JSON value at %s: %q (a file holds one JSON object; remove what follows it)", at, rest)
}

type strictWalk struct {
	dec  *json.Decoder
	data []byte
}

// where is a byte offset as a reader finds it in an editor: its line and column.
func (w *strictWalk) where(off int) string {
	off = min(max(off, 0), len(w.data))
	line := 1 + bytes.Count(w.data[:off], []byte("\n"))
	return fmt.Sprintf("line %d, column %d", line, off-bytes.LastIndexByte(w.data[:off], '\n'))
}

// keyStart is where the key just read starts (its opening quote, before its closing one).
func (w *strictWalk) keyStart() string {
	end := min(int(w.dec.InputOffset())-1, len(w.data))
	return w.where(bytes.LastIndexByte(w.data[:max(end, 0)], '"'))
}

// value walks one JSON value to be decoded into t (nil: unknown); path names it in errors
// ("parts[1].axes: ").
func (w *strictWalk) value(t reflect.Type, path string, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("%snested more than %d levels deep", path, maxJSONDepth)
	}
	tok, err := w.dec.Token()
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	} else if err != nil {
		return err
	}
	t = strictType(t)
	switch tok {
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; w.dec.More(); i++ {
			if err := w.value(elem, strings.TrimSuffix(path, ": ")+"["+strconv.Itoa(i)+"]: ", depth+1); err != nil {
				return err
			}
		}
	case json.Delim('{'):
		seen := map[string]bool{}
		for w.dec.More() {
			tok, err := w.dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if seen[key] {
				return fmt.Errorf("%skey %q is given twice (the second at %s): give each key once (JSON readers keep the last silently)", path, key, w.keyStart())
			}
			seen[key] = true
			ft, err := fieldType(t, key)
			if err != nil {
				return fmt.Errorf("%s%v (at %s)", path, err, w.keyStart())
			}
			if err := w.value(ft, strings.TrimPrefix(strings.TrimSuffix(path, ": ")+"."+key, ".")+": ", depth+1); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	_, err = w.dec.Token() // the closing delimiter
	return err
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// strictObject is a type that decodes itself from objects with the keys of another type's
// fields (an entry of "figures": a name, or an object declaring a figure).
type strictObject interface{ strictObject() reflect.Type }

// strictType is the type whose fields a JSON value's keys name: pointers followed; nil
// when unknown or when the type decodes itself (but a strictObject).
func strictType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && t.Kind() != reflect.Interface {
		if so, ok := reflect.Zero(t).Interface().(strictObject); ok {
			return so.strictObject()
		}
	}
	if t == nil || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	return t
}

// fieldType is the type of the value under key in an object decoded into t (nil when
// unknown); an error when key names one of t's fields only in another case.
func fieldType(t reflect.Type, key string) (reflect.Type, error) {
	switch {
	case t == nil:
		return nil, nil
	case t.Kind() == reflect.Map:
		return t.Elem(), nil
	case t.Kind() != reflect.Struct:
		return nil, nil
	}
	names := map[string]reflect.Type{}
	jsonFields(t, names)
	if ft, ok := names[key]; ok {
		return ft, nil
	}
	for name := range names {
		if strings.EqualFold(name, key) {
			return nil, fmt.Errorf("key %q is spelled %q: keys are matched exactly, in lower case", key, name)
		}
	}
	return nil, nil
}

// jsonFields collects the JSON names of a struct's fields (those of embedded structs
// without a name of their own promoted), as encoding/json names them.
func jsonFields(t reflect.Type, into map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			jsonFields(f.Type, into)
		case f.IsExported():
			name = cmp.Or(name, f.Name)
			if _, dup := into[name]; !dup {
				into[name] = f.Type
			}
		}
	}
}
