// Package peers compares the project's STM with the public Go STMs and a global
// sync.RWMutex on the same two workloads. It is a module of its own so that the main module
// keeps only its chosen dependencies.
//
//	cd bench/peers && go test -run x -bench Peers -benchmem -cpu 1,2 -count 10 | tee new.txt
//	benchstat -col /impl new.txt
package peers
