package plots

import "github.com/microstim/microstim/resultdir"

// writePair writes png to pathNoExt+".png" and svg to pathNoExt+".svg".
func writePair(pathNoExt string, png, svg []byte) error {
	if err := resultdir.WriteFile(pathNoExt+".png", png); err != nil {
		return err
	}
	return resultdir.WriteFile(pathNoExt+".svg", svg)
}
