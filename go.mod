module github.com/bexrun/bex

go 1.25
