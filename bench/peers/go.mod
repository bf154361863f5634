module dustm/bench/peers

go 1.26.0

require (
	dustm v0.0.0
	github.com/anacrolix/stm v0.5.0
	github.com/lukechampine/stm v0.0.0-20191022212748-05486c32d236
)

require (
	github.com/alecthomas/atomic v0.1.0-alpha2 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace dustm => ../..
