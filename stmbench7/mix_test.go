package stmbench7

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"dustm/stmbench7/jrand"
)

// refRatios are the "Operation ratios [%]" lines the reference (sb7-java-v1.2, OpenJDK 17)
// printed for every workload and switch combination, in the order of the operation types.
//
//	java stmbench7.Benchmark -w <wl> [--no-traversals] [--no-sms]
const refRatios = `
-w r|0.55 4.95 4.40 39.56 4.95 44.51 1.10
-w r  --no-sms|0.56 5.00 4.44 40.00 5.00 45.00 0.00
-w r --no-traversals|0.00 0.00 4.65 41.86 5.23 47.09 1.16
-w r --no-traversals --no-sms|0.00 0.00 4.71 42.35 5.29 47.65 0.00
-w rw|2.13 3.19 17.02 25.53 19.15 28.72 4.26
-w rw  --no-sms|2.22 3.33 17.78 26.67 20.00 30.00 0.00
-w rw --no-traversals|0.00 0.00 17.98 26.97 20.22 30.34 4.49
-w rw --no-traversals --no-sms|0.00 0.00 18.82 28.24 21.18 31.76 0.00
-w w|4.55 0.51 36.36 4.04 40.91 4.55 9.09
-w w  --no-sms|5.00 0.56 40.00 4.44 45.00 5.00 0.00
-w w --no-traversals|0.00 0.00 38.30 4.26 43.09 4.79 9.57
-w w --no-traversals --no-sms|0.00 0.00 42.35 4.71 47.65 5.29 0.00
`

// refCDFs are the reference's operationCDF arrays (raw double bits in hex), read by reflection
// from a Benchmark instance constructed with the arguments shown:
//
//	Constructor c = Benchmark.class.getDeclaredConstructor(String[].class); c.setAccessible(true);
//	Field f = Benchmark.class.getDeclaredField("operationCDF"); f.setAccessible(true);
//	for (double d : (double[]) f.get(c.newInstance((Object) args))) Long.toHexString(Double.doubleToRawLongBits(d))
const refCDFs = `
-w r: 3f84414414414414 3f85dccb8393a6f1 3f877852f2e609ce 3f8913da62386cab 3f8aaf61d18acf88 3f8c4ae940dd3265 3f8de670b02f9542 3f9913da62386cab 3f99e19e19e19e19 3fa2012012012012 3fa7117117117117 3fac21c21c21c21c 3fbef1ef1ef1ef1f 3fc7e97e97e97e98 3fd02d02d02d02d0 3fd4654654654654 3fd89d89d89d89d8 3fd9519519519519 3fda05a05a05a05a 3fdab9ab9ab9ab9b 3fdef1ef1ef1ef1f 3fdfa5fa5fa5fa60 3fe19ab9ab9ab9ac 3fe3627627627628 3fe52a32a32a32a4 3fe6f1ef1ef1ef20 3fe8b9ab9ab9ab9c 3fea816816816818 3fec492492492494 3fee10e10e10e110 3fee4ac019b876f7 3fee849f25600cde 3feebe7e3107a2c5 3feef85d3caf38ac 3fef323c4856ce93 3fef6c1b53fe647a 3fefa5fa5fa5fa61 3fefb13b13b13b15 3fefbc7bc7bc7bc9 3fefc7bc7bc7bc7d 3fefd2fd2fd2fd31 3fefde3de3de3de5 3fefe97e97e97e99 3feff4bf4bf4bf4d 3ff0000000000000
-w r --no-sms: 3f847ae147ae147b 3f861afb494e2e7d 3f87bb154aee487f 3f895b2f4c8e6281 3f8afb494e2e7c83 3f8c9b634fce9685 3f8e3b7d516eb087 3f995b2f4c8e6281 3f9a2b3c4d5e6f82 3fa23456789abce0 3fa7530eca8641ff 3fac71c71c71c71e 3fbf49f49f49f4a0 3fc82d82d82d82d8 3fd05b05b05b05b0 3fd49f49f49f49f4 3fd8e38e38e38e38 3fd9999999999999 3fda4fa4fa4fa4fa 3fdb05b05b05b05b 3fdf49f49f49f49f 3fe0000000000000 3fe1cccccccccccd 3fe399999999999a 3fe5666666666667 3fe7333333333334 3fe9000000000001 3feaccccccccccce 3fec99999999999b 3fee666666666668 3feea0ea0ea0ea10 3feedb6db6db6db8 3fef15f15f15f160 3fef507507507508 3fef8af8af8af8b0 3fefc57c57c57c58 3ff0000000000000 3ff0000000000000 3ff0000000000000 3ff0000000000000 3ff0000000000000 3ff0000000000000 3ff0000000000000 3ff0000000000000 3ff0000000000000
-w r --no-traversals: 0 0 0 0 0 0 0 0 0 0 0 0 3fb1dc47711dc477 3fc1dc47711dc477 3fcaca6b29aca6b2 3fd1dc47711dc477 3fd653594d653595 3fd711dc47711dc5 3fd7d05f417d05f5 3fd88ee23b88ee25 3fdd05f417d05f43 3fddc47711dc4773 3fe0c47711dc4772 3fe2a6b29aca6b2a 3fe488ee23b88ee2 3fe66b29aca6b29a 3fe84d653594d652 3fea2fa0be82fa0a 3fec11dc47711dc2 3fedf417d05f417a 3fee31543307a789 3fee6e9095b00d98 3feeabccf85873a7 3feee9095b00d9b6 3fef2645bda93fc5 3fef63822051a5d4 3fefa0be82fa0be3 3fefaca6b29aca66 3fefb88ee23b88e9 3fefc47711dc476c 3fefd05f417d05ef 3fefdc47711dc472 3fefe82fa0be82f5 3feff417d05f4178 3ff0000000000000
-w r --no-traversals --no-sms: 0 0 0 0 0 0 0 0 0 0 0 0 3fb2121212121212 3fc2121212121212 3fcb1b1b1b1b1b1b 3fd2121212121212 3fd6969696969696 3fd7575757575757 3fd8181818181818 3fd8d8d8d8d8d8d9 3fdd5d5d5d5d5d5e 3fde1e1e1e1e1e1f 3fe0f6f6f6f6f6f7 3fe2dedededededf 3fe4c6c6c6c6c6c7 3fe6aeaeaeaeaeaf 3fe8969696969697 3fea7e7e7e7e7e7f 3fec666666666667 3fee4e4e4e4e4e4f 3fee8c431e8c431f 3feeca37eeca37ef 3fef082cbf082cbf 3fef46218f46218f 3fef84165f84165f 3fefc20b2fc20b2f 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3ff0000000000000
-w rw: 3f7a2509cde3ad35 3f834c1985ae246a 3f8985ae246a723a 3f8fbf42c326c00a 3f92fc6bb0f186ed 3f961936004fadd5 3f9936004fadd4bd 3f9fbf42c326c00a 3fa16e0689427379 3fa4b2a7c2fee920 3fa7f748fcbb5ec7 3fab3bea3677d46e 3fb882b931057262 3fc1b3bea3677d47 3fc72620ae4c415d 3fcc9882b9310573 3fd10572620ae4c4 3fd3bea3677d46cf 3fd677d46cefa8da 3fd9310572620ae5 3fdbea3677d46cf0 3fdea3677d46cefb 3fe077d46cefa8da 3fe19df51b3bea37 3fe2c415c9882b94 3fe3ea3677d46cf1 3fe510572620ae4e 3fe63677d46cefab 3fe75c9882b93108 3fe882b931057265 3fe962d21757ed56 3fea42eafdaa6847 3feb2303e3fce338 3fec031cca4f5e29 3fece335b0a1d91a 3fedc34e96f4540b 3feea3677d46cefc 3feecefa8d9df51d 3feefa8d9df51b3e 3fef2620ae4c415f 3fef51b3bea36780 3fef7d46cefa8da1 3fefa8d9df51b3c2 3fefd46cefa8d9e3 3ff0000000000000
-w rw --no-sms: 3f7b4e81b4e81b4e 3f8427a8e0f475ae 3f8aa810e774ddb5 3f90943c76faa2de 3f93d4707a3ad6e1 3f9714a47d7b0ae4 3f9a54d880bb3ee7 3fa0943c76faa2dd 3fa23456789abcdf 3fa59e26af37c049 3fa907f6e5d4c3b3 3fac71c71c71c71d 3fb999999999999a 3fc27d27d27d27d3 3fc82d82d82d82d9 3fcddddddddddddf 3fd1c71c71c71c72 3fd49f49f49f49f5 3fd7777777777778 3fda4fa4fa4fa4fb 3fdd27d27d27d27e 3fe0000000000000 3fe1333333333333 3fe2666666666666 3fe3999999999999 3fe4cccccccccccc 3fe5ffffffffffff 3fe7333333333332 3fe8666666666665 3fe9999999999998 3fea83a83a83a839 3feb6db6db6db6da 3fec57c57c57c57b 3fed41d41d41d41c 3fee2be2be2be2bd 3fef15f15f15f15e 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3fefffffffffffff 3ff0000000000000
-w rw --no-traversals: 0 0 0 0 0 0 0 0 0 0 0 0 3fa702e05c0b8170 3fb702e05c0b8170 3fc142284508a114 3fc702e05c0b8170 3fccc398730e61cc 3fd142284508a114 3fd42284508a1142 3fd702e05c0b8170 3fd9e33c678cf19e 3fdcc398730e61cc 3fdf30e61cc39873 3fe0cf19e33c678d 3fe205c0b81702e0 3fe33c678cf19e33 3fe4730e61cc3986 3fe5a9b536a6d4d9 3fe6e05c0b81702c 3fe81702e05c0b7f 3fe903b2bf7c81d7 3fe9f0629e9cf82f 3feadd127dbd6e87 3febc9c25cdde4df 3fecb6723bfe5b37 3feda3221b1ed18f 3fee8fd1fa3f47e7 3feebdd7baf75eea 3feeebdd7baf75ed 3fef19e33c678cf0 3fef47e8fd1fa3f3 3fef75eebdd7baf6 3fefa3f47e8fd1f9 3fefd1fa3f47e8fc 3ff0000000000000
-w rw --no-traversals --no-sms: 0 0 0 0 0 0 0 0 0 0 0 0 3fa8181818181818 3fb8181818181818 3fc2121212121212 3fc8181818181818 3fce1e1e1e1e1e1e 3fd2121212121212 3fd5151515151515 3fd8181818181818 3fdb1b1b1b1b1b1b 3fde1e1e1e1e1e1e 3fe0545454545454 3fe1999999999999 3fe2dededededede 3fe4242424242423 3fe5696969696968 3fe6aeaeaeaeaead 3fe7f3f3f3f3f3f2 3fe9393939393937 3fea310c7a310c78 3feb28dfbb28dfb9 3fec20b2fc20b2fa 3fed18863d18863b 3fee10597e10597c 3fef082cbf082cbd 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3ff0000000000000
-w w: 3f508cabb37565e3 3f7ebc1a4d47bd38 3f8caa84d6d9107c 3f94fb7e4387212e 3f9ba1ba1ba1ba1e 3fa123faf9de2987 3fa47718e5eb75ff 3fa4fb7e4387212e 3fa84e9c2f946da6 3fa8d3018d3018d5 3fa95766eacbc404 3fa9dbcc48676f33 3fad4e700dca8f18 3fb06089e996d77e 3fb219dbcc486770 3fb3d32daef9f762 3fb58c7f91ab8754 3fc6692883044f4e 3fd106089e996d79 3fd6d77cfbb0b34b 3fd745d1745d1748 3fdd1745d1745d1a 3fdd745d1745d177 3fddd1745d1745d4 3fde2e8ba2e8ba31 3fde8ba2e8ba2e8e 3fdee8ba2e8ba2eb 3fdf45d1745d1748 3fdfa2e8ba2e8ba5 3fe0000000000001 3fe1dec0d4c77b04 3fe3bd81a98ef607 3fe59c427e56710a 3fe77b03531dec0d 3fe959c427e56710 3feb3884fcace213 3fed1745d1745d16 3fed745d1745d173 3fedd1745d1745d0 3fee2e8ba2e8ba2d 3fee8ba2e8ba2e8a 3feee8ba2e8ba2e7 3fef45d1745d1744 3fefa2e8ba2e8ba1 3ff0000000000000
-w w --no-sms: 3f523456789abce0 3f80e774ddb441ab 3f8f885eec552bba 3f9714a47d7b0ae4 3f9e651984cb7fec 3fa2dac7460dfa7a 3fa68301c9b634fe 3fa714a47d7b0ae5 3faabcdf01234569 3fab4e81b4e81b50 3fabe02468acf137 3fac71c71c71c71e 3fb01e573ac901e6 3fb203cae759203d 3fb3e93e93e93e94 3fb5ceb240795ceb 3fb7b425ed097b42 3fc8a6dfc3518a6e 3fd2b9d6480f2b9e 3fd9203cae759204 3fd999999999999a 3fe0000000000000 3fe0333333333333 3fe0666666666666 3fe0999999999999 3fe0cccccccccccc 3fe0ffffffffffff 3fe1333333333332 3fe1666666666665 3fe1999999999998 3fe3a83a83a83a82 3fe5b6db6db6db6c 3fe7c57c57c57c56 3fe9d41d41d41d40 3febe2be2be2be2a 3fedf15f15f15f14 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3ff0000000000000
-w w --no-traversals: 0 0 0 0 0 0 0 0 0 0 0 0 3f7d0cb58f6ec075 3f8d0cb58f6ec075 3f95c9882b931058 3f9d0cb58f6ec075 3fa227f179a53849 3fc0cb58f6ec0743 3fcd0cb58f6ec074 3fd4a70913f8bcd2 3fd51b3bea3677d4 3fdb3bea3677d46c 3fdb9df51b3bea36 3fdc000000000000 3fdc620ae4c415ca 3fdcc415c9882b94 3fdd2620ae4c415e 3fdd882b93105728 3fddea3677d46cf2 3fde4c415c9882bc 3fe11e58b485d5fd 3fe31690babf6a9c 3fe50ec8c0f8ff3b 3fe70700c73293da 3fe8ff38cd6c2879 3feaf770d3a5bd18 3fecefa8d9df51b7 3fed51b3bea36781 3fedb3bea3677d4b 3fee15c9882b9315 3fee77d46cefa8df 3feed9df51b3bea9 3fef3bea3677d473 3fef9df51b3bea3d 3ff0000000000000
-w w --no-traversals --no-sms: 0 0 0 0 0 0 0 0 0 0 0 0 3f80101010101010 3f90101010101010 3f98181818181818 3fa0101010101010 3fa4141414141414 3fc2929292929292 3fd0101010101010 3fd6d6d6d6d6d6d7 3fd7575757575758 3fde1e1e1e1e1e1f 3fde8a8a8a8a8a8b 3fdef6f6f6f6f6f7 3fdf636363636363 3fdfcfcfcfcfcfcf 3fe01e1e1e1e1e1e 3fe0545454545454 3fe08a8a8a8a8a8a 3fe0c0c0c0c0c0c0 3fe2ee5c12ee5c12 3fe51bf7651bf764 3fe74992b74992b6 3fe9772e09772e08 3feba4c95ba4c95a 3fedd264add264ac 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3feffffffffffffe 3ff0000000000000
`

// parseArgs reads "-w rw --no-traversals --no-sms" into a mix's parameters.
func parseArgs(t *testing.T, args string) (Workload, bool, bool) {
	t.Helper()
	f := strings.Fields(args)
	w, err := ParseWorkload(f[1])
	if err != nil {
		t.Fatal(err)
	}
	trav, sms := true, true
	for _, a := range f[2:] {
		switch a {
		case "--no-traversals":
			trav = false
		case "--no-sms":
			sms = false
		default:
			t.Fatalf("unexpected argument %q", a)
		}
	}
	return w, trav, sms
}

func TestMixTypeSharesMatchReference(t *testing.T) {
	n := 0
	for line := range strings.Lines(strings.TrimSpace(refRatios)) {
		args, vals, _ := strings.Cut(strings.TrimSpace(line), "|")
		m := NewMix(parseArgs(t, args))
		want := strings.Fields(vals)
		for ty := range OpType(NumOpTypes) {
			got := strconv.FormatFloat(m.TypeShare(ty)*100, 'f', 2, 64)
			if got != want[ty] {
				t.Errorf("%s: %v share = %s%%, reference printed %s%%", args, ty, got, want[ty])
			}
		}
		n++
	}
	if n != 12 {
		t.Fatalf("checked %d combinations, want 12", n)
	}
}

func TestMixCDFBitIdenticalToReference(t *testing.T) {
	for line := range strings.Lines(strings.TrimSpace(refCDFs)) {
		args, vals, _ := strings.Cut(strings.TrimSpace(line), ":")
		m := NewMix(parseArgs(t, args))
		cdf := m.CDF()
		words := strings.Fields(vals)
		if len(words) != NumOps {
			t.Fatalf("%s: %d values in the reference CDF", args, len(words))
		}
		for i, w := range words {
			bits, err := strconv.ParseUint(w, 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			if got := math.Float64bits(cdf[i]); got != bits {
				t.Errorf("%s: cdf[%v] = %x (%v), reference %x (%v)", args, OpID(i), got, cdf[i], bits, math.Float64frombits(bits))
			}
		}
	}
}

// The spec's table (§3), including the INESC variant's read-only workload, and the total
// read-only share of every combination.
func TestMixSpecTable(t *testing.T) {
	cases := []struct {
		w         Workload
		trav, sms bool
		shares    [NumOpTypes]float64 // %
		totalRO   float64             // %
	}{
		{ReadDominated, true, true, [7]float64{0.55, 4.95, 4.40, 39.56, 4.95, 44.51, 1.10}, 89.0},
		{ReadWrite, true, true, [7]float64{2.13, 3.19, 17.02, 25.53, 19.15, 28.72, 4.26}, 57.4},
		{WriteDominated, true, true, [7]float64{4.55, 0.51, 36.36, 4.04, 40.91, 4.55, 9.09}, 9.1},
		{ReadDominated, false, true, [7]float64{0, 0, 4.65, 41.86, 5.23, 47.09, 1.16}, 89.0},
		{ReadWrite, false, true, [7]float64{0, 0, 17.98, 26.97, 20.22, 30.34, 4.49}, 57.3},
		{WriteDominated, false, true, [7]float64{0, 0, 38.30, 4.26, 43.09, 4.79, 9.57}, 9.0},
		{ReadDominated, true, false, [7]float64{0.56, 5.00, 4.44, 40.00, 5.00, 45.00, 0}, 90},
		{ReadWrite, true, false, [7]float64{2.22, 3.33, 17.78, 26.67, 20.00, 30.00, 0}, 60},
		{WriteDominated, true, false, [7]float64{5.00, 0.56, 40.00, 4.44, 45.00, 5.00, 0}, 10},
		{ReadDominated, false, false, [7]float64{0, 0, 4.71, 42.35, 5.29, 47.65, 0}, 90},
		{ReadWrite, false, false, [7]float64{0, 0, 18.82, 28.24, 21.18, 31.76, 0}, 60},
		{WriteDominated, false, false, [7]float64{0, 0, 42.35, 4.71, 47.65, 5.29, 0}, 10},
		// -w ro: no update operation at all, so structural modifications vanish too.
		{ReadOnly, true, true, [7]float64{0, 5.56, 0, 44.44, 0, 50.00, 0}, 100},
		{ReadOnly, false, true, [7]float64{0, 0, 0, 47.06, 0, 52.94, 0}, 100},
		{ReadOnly, true, false, [7]float64{0, 5.56, 0, 44.44, 0, 50.00, 0}, 100},
		{ReadOnly, false, false, [7]float64{0, 0, 0, 47.06, 0, 52.94, 0}, 100},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%v/traversals=%v/sms=%v", c.w, c.trav, c.sms)
		m := NewMix(c.w, c.trav, c.sms)
		sum, ro := 0.0, 0.0
		for ty := range OpType(NumOpTypes) {
			got := m.TypeShare(ty) * 100
			if math.Abs(got-c.shares[ty]) > 0.005+1e-9 {
				t.Errorf("%s: %v = %.4f%%, want %.2f%%", name, ty, got, c.shares[ty])
			}
			sum += got
			if ty.ReadOnly() {
				ro += got
			}
		}
		if math.Abs(sum-100) > 1e-9 {
			t.Errorf("%s: shares sum to %v%%", name, sum)
		}
		if math.Abs(ro-c.totalRO) > 0.05+1e-9 {
			t.Errorf("%s: read-only share %.3f%%, want %.1f%%", name, ro, c.totalRO)
		}
		// Per-operation probabilities split each type evenly, and sum with the CDF.
		cdf := m.CDF()
		if cdf[NumOps-1] != 1 {
			t.Errorf("%s: last CDF entry %v", name, cdf[NumOps-1])
		}
		acc := 0.0
		for op := range OpID(NumOps) {
			p := m.OpProbability(op)
			if want := m.TypeShare(op.Type()) / float64(m.TypeCount(op.Type())); math.Abs(p-want) > 1e-15 {
				t.Errorf("%s: P(%v) = %v, want %v", name, op, p, want)
			}
			acc += p
			if op < OpID(NumOps-1) && math.Abs(cdf[op]-acc) > 1e-12 {
				t.Errorf("%s: cdf[%v] = %v, running sum %v", name, op, cdf[op], acc)
			}
		}
	}
}

func TestMixTypeCounts(t *testing.T) {
	m := NewMix(ReadDominated, true, true)
	want := [NumOpTypes]int{7, 5, 4, 6, 7, 8, 8}
	for ty := range OpType(NumOpTypes) {
		if got := m.TypeCount(ty); got != want[ty] {
			t.Errorf("%v: %d operations, want %d", ty, got, want[ty])
		}
	}
}

func TestMixPick(t *testing.T) {
	m := NewMix(ReadDominated, false, true)
	cdf := m.CDF()
	if got := m.Pick(0); got != ST1 {
		t.Errorf("Pick(0) = %v, want ST1 (the first enabled operation)", got)
	}
	// A draw equal to a CDF value selects the next operation (d >= cdf[i] moves on).
	if got := m.Pick(cdf[ST1]); got != ST2 {
		t.Errorf("Pick(cdf[ST1]) = %v, want ST2", got)
	}
	if got := m.Pick(math.Nextafter(cdf[ST1], 0)); got != ST1 {
		t.Errorf("Pick(just below cdf[ST1]) = %v, want ST1", got)
	}
	if got := m.Pick(math.Nextafter(1, 0)); got != SM8 {
		t.Errorf("Pick(largest double below 1) = %v, want SM8", got)
	}
	if got := m.Pick(1); got != SM8 {
		t.Errorf("Pick(1) = %v, want SM8 (no index past the end)", got)
	}
	// No draw lands on a disabled operation: sweep the unit interval finely.
	for i := range 1_000_000 {
		op := m.Pick(float64(i) / 1e6)
		if op.Type() == Traversal || op.Type() == TraversalRO {
			t.Fatalf("Pick(%v) = %v with long traversals disabled", float64(i)/1e6, op)
		}
	}
}

// Draws from a jrand generator, as the workers do, land on every type with the expected
// frequency.
func TestMixObservedShares(t *testing.T) {
	const draws = 1_000_000
	for _, w := range []Workload{ReadDominated, ReadWrite, WriteDominated, ReadOnly} {
		for _, trav := range []bool{true, false} {
			for _, sms := range []bool{true, false} {
				m := NewMix(w, trav, sms)
				r := jrand.New(3)
				var byType [NumOpTypes]int
				var byOp [NumOps]int
				for range draws {
					op := m.Pick(r.Float64())
					byType[op.Type()]++
					byOp[op]++
				}
				name := fmt.Sprintf("%v/traversals=%v/sms=%v", w, trav, sms)
				for ty := range OpType(NumOpTypes) {
					p := m.TypeShare(ty)
					got := float64(byType[ty]) / draws
					// Five standard deviations of a binomial proportion, plus a little.
					if tol := 5*math.Sqrt(p*(1-p)/draws) + 1e-9; math.Abs(got-p) > tol {
						t.Errorf("%s: %v drawn %.4f%% of the time, expected %.4f%%", name, ty, got*100, p*100)
					}
				}
				for op := range OpID(NumOps) {
					p := m.OpProbability(op)
					if p == 0 && byOp[op] != 0 {
						t.Errorf("%s: disabled %v drawn %d times", name, op, byOp[op])
					}
					got := float64(byOp[op]) / draws
					if tol := 5*math.Sqrt(p*(1-p)/draws) + 1e-9; math.Abs(got-p) > tol {
						t.Errorf("%s: %v drawn %.4f%% of the time, expected %.4f%%", name, op, got*100, p*100)
					}
				}
			}
		}
	}
}

func TestParseWorkload(t *testing.T) {
	for i, n := range WorkloadNames() {
		w, err := ParseWorkload(n)
		if err != nil || w != Workload(i) || w.String() != n {
			t.Errorf("ParseWorkload(%q) = %v, %v", n, w, err)
		}
	}
	want := map[Workload]string{ReadDominated: "READ_DOMINATED", ReadWrite: "READ_WRITE", WriteDominated: "WRITE_DOMINATED", ReadOnly: "READ_ONLY"}
	for w, ref := range want {
		if w.RefName() != ref {
			t.Errorf("%v.RefName() = %q, want %q", w, w.RefName(), ref)
		}
	}
	_, err := ParseWorkload("x")
	if err == nil || !strings.Contains(err.Error(), "r, rw, w, ro") {
		t.Errorf("ParseWorkload(x) error %v does not list the accepted values", err)
	}
}
