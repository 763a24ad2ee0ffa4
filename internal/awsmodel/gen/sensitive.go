package main

import "sort"

// sensitiveMembers returns the names of the members, anywhere below the
// structure root, whose target shape botocore marks "sensitive": true. The
// walk stops at a sensitive shape (its member name covers everything under
// it) and at shapes already on the path (recursive shapes). If root itself
// is sensitive, every one of its members is named.
func sensitiveMembers(shapes map[string]shape, root string) []string {
	found := map[string]bool{}
	if r, ok := shapes[root]; ok && r.Sensitive {
		for name := range r.Members {
			found[name] = true
		}
	} else {
		walkSensitive(shapes, root, map[string]bool{}, found)
	}
	if len(found) == 0 {
		return nil
	}
	out := make([]string, 0, len(found))
	for name := range found {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func walkSensitive(shapes map[string]shape, name string, onPath, found map[string]bool) {
	if onPath[name] {
		return
	}
	sh, ok := shapes[name]
	if !ok {
		return
	}
	onPath[name] = true
	defer delete(onPath, name)
	switch sh.Type {
	case "structure":
		for mn, m := range sh.Members {
			if holdsSensitive(shapes, m.Shape, 0) {
				found[mn] = true
				continue
			}
			walkSensitive(shapes, m.Shape, onPath, found)
		}
	case "list":
		if sh.Member != nil {
			walkSensitive(shapes, sh.Member.Shape, onPath, found)
		}
	case "map":
		for _, ref := range []*shapeRef{sh.Key, sh.Value} {
			if ref != nil {
				walkSensitive(shapes, ref.Shape, onPath, found)
			}
		}
	}
}

// holdsSensitive reports whether a member of shape name carries sensitive
// values directly: the shape is sensitive, or it is a list or map whose
// elements (through nested lists and maps) are. Such values have no member
// name of their own, so the member holding them is named instead.
func holdsSensitive(shapes map[string]shape, name string, depth int) bool {
	sh, ok := shapes[name]
	if !ok || depth > 8 {
		return false
	}
	if sh.Sensitive {
		return true
	}
	switch sh.Type {
	case "list":
		return sh.Member != nil && holdsSensitive(shapes, sh.Member.Shape, depth+1)
	case "map":
		return sh.Key != nil && holdsSensitive(shapes, sh.Key.Shape, depth+1) ||
			sh.Value != nil && holdsSensitive(shapes, sh.Value.Shape, depth+1)
	}
	return false
}
