package stmbench7

// InitialObjects is the number of design objects of the initial structure: the module, the
// manual, the complex and base assemblies, the composite parts, their documents and their
// atomic parts (connections are not objects of their own type that an upgrade changes). ok is
// false for a structure too small to count (fewer than 2 assemblies per assembly or levels).
func (p Params) InitialObjects() (int, bool) {
	if p.NumAssmPerAssm < 2 || p.NumAssmLevels < 2 {
		return 0, false
	}
	comp := p.InitialTotalCompParts()
	return 2 + p.InitialTotalComplexAssemblies() + p.InitialTotalBaseAssemblies() + 2*comp + comp*p.NumAtomicPerComp, true
}

// ChangedObjects is the number of objects of the initial structure whose class a built-in
// upgrade scenario changes (scenario_steps.go): atomic-point the atomic parts,
// composite-stats the composite parts, document-lines the documents, dates every design
// object (the module, the assemblies, the composite and the atomic parts), chain the atomic
// and then the composite parts. ok is false for a scenario it does not know.
func ChangedObjects(scenario string, p Params) (int, bool) {
	if _, ok := p.InitialObjects(); !ok {
		return 0, false
	}
	comp := p.InitialTotalCompParts()
	atomic := comp * p.NumAtomicPerComp
	switch scenario {
	case "atomic-point":
		return atomic, true
	case "composite-stats", "document-lines":
		return comp, true
	case "dates":
		return 1 + p.InitialTotalComplexAssemblies() + p.InitialTotalBaseAssemblies() + comp + atomic, true
	case "chain":
		return atomic + comp, true
	}
	return 0, false
}
