// Streams Go's math.Exp on chosen arguments, for checking flowmatch's GoMath.
//
// Source of truth: Debian 12's golang-1.19-go (go1.19.8, the toolchain of the Ollama goldens). math.Exp is assembly
// on amd64 (exp_amd64.s: an FMA branch on CPUs with AVX and FMA, SSE2 otherwise) and arm64 (exp_arm64.s). Usage
// (the Java side reads the stream and compares; see GoMathStreamCheck in core's test sources):
//
//	/usr/lib/go-1.19/bin/go build -o /tmp/goexp-amd64 tools/reference/go_math_exp_stream.go
//	GOARCH=arm64 /usr/lib/go-1.19/bin/go build -o /tmp/goexp-arm64 tools/reference/go_math_exp_stream.go
//	/tmp/goexp-amd64 float32 0.25 4 | java -cp core/target/classes:core/target/test-classes \
//	    dev.flowmatch.torchmath.GoMathStreamCheck amd64
//	GODEBUG=cpu.fma=off /tmp/goexp-amd64 ... | ... GoMathStreamCheck amd64-no-fma
//	qemu-aarch64 /tmp/goexp-arm64 ... | ... GoMathStreamCheck arm64
//
// Modes: "float32 LO HI" writes every float32 in [LO, HI] widened to float64 (Ollama's math.Exp(float64(mu)));
// "uniform LO HI COUNT SEED" writes COUNT uniform float64 in [LO, HI); "bits COUNT SEED" writes COUNT random bit
// patterns. Each record is (x, math.Exp(x)) as little-endian float64.
package main

import (
	"bufio"
	"encoding/binary"
	"math"
	"math/rand"
	"os"
	"strconv"
)

func main() {
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	var buf [16]byte
	emit := func(x float64) {
		binary.LittleEndian.PutUint64(buf[0:8], math.Float64bits(x))
		binary.LittleEndian.PutUint64(buf[8:16], math.Float64bits(math.Exp(x)))
		out.Write(buf[:])
	}
	arg := func(i int) float64 {
		v, err := strconv.ParseFloat(os.Args[i], 64)
		if err != nil {
			panic(err)
		}
		return v
	}
	switch os.Args[1] {
	case "float32":
		lo, hi := float32(arg(2)), float32(arg(3))
		for f := lo; f <= hi; f = math.Nextafter32(f, float32(math.Inf(1))) {
			emit(float64(f))
		}
	case "uniform":
		lo, hi := arg(2), arg(3)
		count, seed := int(arg(4)), int64(arg(5))
		r := rand.New(rand.NewSource(seed))
		for i := 0; i < count; i++ {
			emit(lo + (hi-lo)*r.Float64())
		}
	case "bits":
		count, seed := int(arg(2)), int64(arg(3))
		r := rand.New(rand.NewSource(seed))
		for i := 0; i < count; i++ {
			emit(math.Float64frombits(r.Uint64()))
		}
	}
}
