package main

import "fmt"

func runModel(args []string) error { return fmt.Errorf("model: not yet") }
