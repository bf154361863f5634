package stmbench7

// opTable maps every operation to its implementation.
var opTable = [NumOps]opFunc{}
