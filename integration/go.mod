module github.com/bexrun/bex/integration

go 1.26.0

require github.com/bexrun/bex v0.0.0

replace github.com/bexrun/bex => ../
