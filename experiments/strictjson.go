package experiments

import (
	"bytes"
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

// strictError is a JSON document that is valid JSON but not what a reader means by it.
type strictError struct{ msg string }

func (e *strictError) Error() string { return e.msg }

// checkStrictJSON checks data, a document to be decoded into a value of type t: no
// byte-order mark, no key twice in an object, no key that matches a field of t only in
// another case, nothing after the value. Syntax errors come back as encoding/json's. Types
// with their own UnmarshalJSON are walked for duplicates only: they check their keys.
func checkStrictJSON(data []byte, t reflect.Type) error {
	if bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		return &strictError{"the file starts with a UTF-8 byte-order mark (bytes EF BB BF), which JSON does not allow: save it as UTF-8 without a BOM"}
	}
	w := strictWalk{dec: json.NewDecoder(bytes.NewReader(data)), data: data}
	w.dec.UseNumber()
	if err := w.value(t, "", 0); err != nil {
		return err
	}
	end := int(w.dec.InputOffset())
	if rest := bytes.TrimSpace(data[end:]); len(rest) > 0 {
		if len(rest) > 20 {
			rest = append(rest[:20:20], "…"...)
		}
		return &strictError{fmt.Sprintf("more after the end of the JSON value at %s: %q (a file holds one JSON object; remove what follows it)",
			w.where(end+bytes.Index(data[end:], rest[:1])), rest)}
	}
	return nil
}

type strictWalk struct {
	dec  *json.Decoder
	data []byte
}

// where is a byte offset as a reader finds it in an editor: its line and column.
func (w *strictWalk) where(off int) string {
	off = min(max(off, 0), len(w.data))
	line := 1 + bytes.Count(w.data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(w.data[:off], '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// keyStart is where the key just read starts (its opening quote).
func (w *strictWalk) keyStart() string {
	end := int(w.dec.InputOffset()) - 1 // the closing quote
	if end <= 0 || end > len(w.data) {
		return w.where(end)
	}
	return w.where(bytes.LastIndexByte(w.data[:end], '"'))
}

func (w *strictWalk) value(t reflect.Type, path string, depth int) error {
	if depth > maxJSONDepth {
		return &strictError{fmt.Sprintf("%snested more than %d levels deep", prefix(path), maxJSONDepth)}
	}
	tok, err := w.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	t = strictType(t)
	switch d {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; w.dec.More(); i++ {
			if err := w.value(elem, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
	case '{':
		seen := map[string]bool{}
		for w.dec.More() {
			tok, err := w.dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if seen[key] {
				return &strictError{fmt.Sprintf("%skey %q is given twice (the second at %s): give each key once (JSON readers keep the last silently)",
					prefix(path), key, w.keyStart())}
			}
			seen[key] = true
			ft, err := fieldType(t, key)
			if err != nil {
				return &strictError{fmt.Sprintf("%s%v (at %s)", prefix(path), err, w.keyStart())}
			}
			if err := w.value(ft, join(path, key), depth+1); err != nil {
				return err
			}
		}
	}
	_, err = w.dec.Token() // the closing delimiter
	return err
}

func prefix(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

func join(path, key string) string { return strings.TrimPrefix(path+"."+key, ".") }

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// strictType is the type whose fields a JSON value's keys name: pointers followed; nil
// when unknown or when the type decodes itself.
func strictType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
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
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if et := f.Type; et.Kind() == reflect.Struct {
				jsonFields(et, into)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := into[name]; !dup {
			into[name] = f.Type
		}
	}
}
