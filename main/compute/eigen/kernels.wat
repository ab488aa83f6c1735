;; The JavaScript-heavy kernels of main/compute/eigen.ts in WebAssembly with 128-bit SIMD, each
;; doing the same arithmetic in the same order as the JavaScript it replaced, so the results are
;; bit-identical to it (partial sums that the JavaScript kept per even/odd or per r mod 4 row are
;; the f64x2 lanes here; hypot is JavaScript's Math.hypot, imported):
;;   - `chase`: stage 2, band -> tridiagonal by Householder bulge chasing (the three kernels of
;;     LAPACK dsb2st), for eigen/bulge.ts;
;;   - `factor`: stage 1's panel factorisation, the Householder QR of an m x b panel (dgeqr2) and
;;     the T of its block reflector (dlarft), for eigen/band.ts.
;; Why WebAssembly: these are loops over short columns (<= b elements) or thin panels, and V8's JIT
;; spent ~1.7 (bulge) and ~0.5-0.9 (panels) CPU s per Pythia-160m-shaped checkpoint in them
;; (BENCHMARKS.md, "Measurements behind design choices"); f64x2 halves the arithmetic instructions
;; and removes the bounds checks. Why hand-written text: no library offers these LAPACK kernels for
;; JavaScript; the text is assembled at build time by the `wabt` npm package (tools/wat-plugin.mjs).
;;
;; Memory: f64 elements, addresses are element indices * 8; each caller says where its arrays are.
(module
  (import "m" "hypot" (func $hypot (param f64 f64) (result f64)))
  (memory (export "memory") 1)
  (global $ld (mut i32) (i32.const 0))

  ;; Householder reflector (LAPACK dlarfg) of x = a[off .. off+len-1], as eigen/common.ts householder:
  ;; a[off] = beta, a[off+1 ..] = 0, v[0] = 1, v[1 ..] = tail; returns tau.
  (func $householder (param $off i32) (param $len i32) (param $v i32) (result f64)
    (local $i i32) (local $alpha f64) (local $scale f64) (local $t f64) (local $ss f64)
    (local $beta f64) (local $tau f64) (local $inv f64)
    (local.set $alpha (f64.load (i32.shl (local.get $off) (i32.const 3))))
    (local.set $i (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $len)))
        (local.set $t (f64.abs (f64.load (i32.shl (i32.add (local.get $off) (local.get $i)) (i32.const 3)))))
        (if (f64.gt (local.get $t) (local.get $scale)) (then (local.set $scale (local.get $t))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (f64.store (i32.shl (local.get $v) (i32.const 3)) (f64.const 1))
    (if (f64.eq (local.get $scale) (f64.const 0))
      (then
        (local.set $i (i32.const 1))
        (block $done
          (loop $next
            (br_if $done (i32.ge_s (local.get $i) (local.get $len)))
            (f64.store (i32.shl (i32.add (local.get $v) (local.get $i)) (i32.const 3)) (f64.const 0))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (return (f64.const 0))))
    ;; Scaled sum of squares, in order.
    (local.set $i (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $len)))
        (local.set $t (f64.div (f64.load (i32.shl (i32.add (local.get $off) (local.get $i)) (i32.const 3))) (local.get $scale)))
        (local.set $ss (f64.add (local.get $ss) (f64.mul (local.get $t) (local.get $t))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    ;; beta = -sign(alpha || 1) * hypot(alpha, scale * sqrt(ss))
    (local.set $beta (call $hypot (local.get $alpha) (f64.mul (local.get $scale) (f64.sqrt (local.get $ss)))))
    (if (f64.lt (local.get $alpha) (f64.const 0))
      (then (nop))
      (else (local.set $beta (f64.neg (local.get $beta)))))
    (local.set $tau (f64.div (f64.sub (local.get $beta) (local.get $alpha)) (local.get $beta)))
    (local.set $inv (f64.div (f64.const 1) (f64.sub (local.get $alpha) (local.get $beta))))
    (local.set $i (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $len)))
        (f64.store (i32.shl (i32.add (local.get $v) (local.get $i)) (i32.const 3))
          (f64.mul (f64.load (i32.shl (i32.add (local.get $off) (local.get $i)) (i32.const 3))) (local.get $inv)))
        (f64.store (i32.shl (i32.add (local.get $off) (local.get $i)) (i32.const 3)) (f64.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (f64.store (i32.shl (local.get $off) (i32.const 3)) (local.get $beta))
    (local.get $tau))

  ;; D <- H D H on the symmetric block D = A[st..st+len-1]^2 (lower part in the band); w: scratch.
  (func $twoSided (param $st i32) (param $len i32) (param $v i32) (param $tau f64) (param $w i32)
    (local $c i32) (local $r i32) (local $base i32) (local $vc f64) (local $wc f64) (local $a f64)
    (local $acc v128) (local $vcv v128) (local $wcv v128) (local $av v128) (local $pw i32) (local $pb i32)
    (local $vw f64) (local $alpha f64) (local $x f64)
    (if (f64.eq (local.get $tau) (f64.const 0)) (then (return)))
    (local.set $r (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $r) (local.get $len)))
        (f64.store (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3)) (f64.const 0))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next)))
    ;; w = D v, column by column; the column's dot in two lanes (even / odd rows after c).
    (local.set $c (i32.const 0))
    (block $cdone
      (loop $cnext
        (br_if $cdone (i32.ge_s (local.get $c) (local.get $len)))
        (local.set $base (i32.sub (i32.mul (i32.add (local.get $st) (local.get $c)) (global.get $ld)) (local.get $c)))
        (local.set $vc (f64.load (i32.shl (i32.add (local.get $v) (local.get $c)) (i32.const 3))))
        (local.set $vcv (f64x2.splat (local.get $vc)))
        (local.set $acc (f64x2.replace_lane 0 (v128.const f64x2 0 0)
          (f64.mul (f64.load (i32.shl (i32.add (local.get $base) (local.get $c)) (i32.const 3))) (local.get $vc))))
        (local.set $r (i32.add (local.get $c) (i32.const 1)))
        (block $rdone
          (loop $rnext
            (br_if $rdone (i32.ge_s (i32.add (local.get $r) (i32.const 1)) (local.get $len)))
            (local.set $av (v128.load (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3))))
            (local.set $pw (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3)))
            (v128.store (local.get $pw) (f64x2.add (v128.load (local.get $pw)) (f64x2.mul (local.get $av) (local.get $vcv))))
            (local.set $acc (f64x2.add (local.get $acc)
              (f64x2.mul (local.get $av) (v128.load (i32.shl (i32.add (local.get $v) (local.get $r)) (i32.const 3))))))
            (local.set $r (i32.add (local.get $r) (i32.const 2)))
            (br $rnext)))
        (if (i32.lt_s (local.get $r) (local.get $len))
          (then
            (local.set $a (f64.load (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3))))
            (local.set $pw (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3)))
            (f64.store (local.get $pw) (f64.add (f64.load (local.get $pw)) (f64.mul (local.get $a) (local.get $vc))))
            (local.set $acc (f64x2.replace_lane 0 (local.get $acc)
              (f64.add (f64x2.extract_lane 0 (local.get $acc))
                (f64.mul (local.get $a) (f64.load (i32.shl (i32.add (local.get $v) (local.get $r)) (i32.const 3)))))))))
        (local.set $pw (i32.shl (i32.add (local.get $w) (local.get $c)) (i32.const 3)))
        (f64.store (local.get $pw) (f64.add (f64.load (local.get $pw))
          (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cnext)))
    ;; w *= tau; vw = w . v (in order); w += alpha v with alpha = -tau vw / 2.
    (local.set $r (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $r) (local.get $len)))
        (local.set $pw (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3)))
        (local.set $x (f64.mul (f64.load (local.get $pw)) (local.get $tau)))
        (f64.store (local.get $pw) (local.get $x))
        (local.set $vw (f64.add (local.get $vw) (f64.mul (local.get $x) (f64.load (i32.shl (i32.add (local.get $v) (local.get $r)) (i32.const 3))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next)))
    (local.set $alpha (f64.mul (f64.mul (f64.const -0.5) (local.get $tau)) (local.get $vw)))
    (local.set $r (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $r) (local.get $len)))
        (local.set $pw (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3)))
        (f64.store (local.get $pw) (f64.add (f64.load (local.get $pw))
          (f64.mul (local.get $alpha) (f64.load (i32.shl (i32.add (local.get $v) (local.get $r)) (i32.const 3))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next)))
    ;; D -= v w^T + w v^T (lower part), two rows at a time.
    (local.set $c (i32.const 0))
    (block $cdone
      (loop $cnext
        (br_if $cdone (i32.ge_s (local.get $c) (local.get $len)))
        (local.set $base (i32.sub (i32.mul (i32.add (local.get $st) (local.get $c)) (global.get $ld)) (local.get $c)))
        (local.set $vc (f64.load (i32.shl (i32.add (local.get $v) (local.get $c)) (i32.const 3))))
        (local.set $wc (f64.load (i32.shl (i32.add (local.get $w) (local.get $c)) (i32.const 3))))
        (local.set $vcv (f64x2.splat (local.get $vc)))
        (local.set $wcv (f64x2.splat (local.get $wc)))
        (local.set $r (local.get $c))
        (block $rdone
          (loop $rnext
            (br_if $rdone (i32.ge_s (i32.add (local.get $r) (i32.const 1)) (local.get $len)))
            (local.set $pb (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3)))
            (v128.store (local.get $pb) (f64x2.sub (v128.load (local.get $pb))
              (f64x2.add
                (f64x2.mul (v128.load (i32.shl (i32.add (local.get $v) (local.get $r)) (i32.const 3))) (local.get $wcv))
                (f64x2.mul (v128.load (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3))) (local.get $vcv)))))
            (local.set $r (i32.add (local.get $r) (i32.const 2)))
            (br $rnext)))
        (if (i32.lt_s (local.get $r) (local.get $len))
          (then
            (local.set $pb (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3)))
            (f64.store (local.get $pb) (f64.sub (f64.load (local.get $pb))
              (f64.add
                (f64.mul (f64.load (i32.shl (i32.add (local.get $v) (local.get $r)) (i32.const 3))) (local.get $wc))
                (f64.mul (f64.load (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3))) (local.get $vc)))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cnext))))

  ;; The band (n x n, half-bandwidth b, store with ld >= 2b diagonals) at element 0 to tridiagonal,
;; in place (A[i][c] at c * ld + (i - c)):
  ;; afterwards A[i][i] is at i * ld and A[i+1][i] at i * ld + 1. v, v2, w: scratch of b elements.
  (func (export "chase") (param $n i32) (param $b i32) (param $ld i32) (param $v i32) (param $v2 i32) (param $w i32)
    (local $j i32) (local $st i32) (local $ed i32) (local $len i32) (local $nst i32) (local $ned i32) (local $len2 i32)
    (local $tau f64) (local $tau2 f64) (local $base0 i32) (local $base i32) (local $c i32) (local $r i32)
    (local $vc f64) (local $f0 f64) (local $f f64) (local $x f64) (local $dot f64) (local $swap i32)
    (local $vcv v128) (local $fv v128) (local $xv v128) (local $dotv v128) (local $pb i32) (local $pw i32)
    (global.set $ld (local.get $ld))
    (if (i32.lt_s (local.get $b) (i32.const 2)) (then (return)))
    (local.set $j (i32.const 0))
    (block $jdone
      (loop $jnext
        (br_if $jdone (i32.ge_s (local.get $j) (i32.sub (local.get $n) (i32.const 2))))
        (local.set $st (i32.add (local.get $j) (i32.const 1)))
        (local.set $ed (select (i32.add (local.get $j) (local.get $b)) (i32.sub (local.get $n) (i32.const 1))
          (i32.lt_s (i32.add (local.get $j) (local.get $b)) (i32.sub (local.get $n) (i32.const 1)))))
        (local.set $len (i32.add (i32.sub (local.get $ed) (local.get $st)) (i32.const 1)))
        (if (i32.ge_s (local.get $len) (i32.const 2))
          (then
            ;; Type 1: eliminate column j below the sub-diagonal, then its diagonal block.
            (local.set $tau (call $householder (i32.add (i32.mul (local.get $j) (local.get $ld)) (i32.const 1)) (local.get $len) (local.get $v)))
            (call $twoSided (local.get $st) (local.get $len) (local.get $v) (local.get $tau) (local.get $w))
            (block $chased
              (loop $chase
                (local.set $nst (i32.add (local.get $ed) (i32.const 1)))
                (br_if $chased (i32.gt_s (local.get $nst) (i32.sub (local.get $n) (i32.const 1))))
                (local.set $ned (select (i32.add (local.get $ed) (local.get $b)) (i32.sub (local.get $n) (i32.const 1))
                  (i32.lt_s (i32.add (local.get $ed) (local.get $b)) (i32.sub (local.get $n) (i32.const 1)))))
                (local.set $len2 (i32.add (i32.sub (local.get $ned) (local.get $nst)) (i32.const 1)))
                ;; Type 2: B = A[nst..ned, st..ed] <- B H, then H2 annihilates the bulge's first
                ;; column and is applied from the left to the rest of B.
                (local.set $base0 (i32.add (i32.mul (local.get $st) (local.get $ld)) (i32.sub (local.get $nst) (local.get $st))))
                (if (f64.ne (local.get $tau) (f64.const 0))
                  (then
                    (local.set $r (i32.const 0))
                    (block $done
                      (loop $next
                        (br_if $done (i32.ge_s (local.get $r) (local.get $len2)))
                        (f64.store (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3)) (f64.const 0))
                        (local.set $r (i32.add (local.get $r) (i32.const 1)))
                        (br $next)))
                    (local.set $c (i32.const 0))
                    (block $cdone
                      (loop $cnext
                        (br_if $cdone (i32.ge_s (local.get $c) (local.get $len)))
                        (local.set $base (i32.add (local.get $base0) (i32.mul (local.get $c) (i32.sub (local.get $ld) (i32.const 1)))))
                        (local.set $vc (f64.load (i32.shl (i32.add (local.get $v) (local.get $c)) (i32.const 3))))
                        (local.set $vcv (f64x2.splat (local.get $vc)))
                        (local.set $r (i32.const 0))
                        (block $rdone
                          (loop $rnext
                            (br_if $rdone (i32.ge_s (i32.add (local.get $r) (i32.const 1)) (local.get $len2)))
                            (local.set $pw (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3)))
                            (v128.store (local.get $pw) (f64x2.add (v128.load (local.get $pw))
                              (f64x2.mul (v128.load (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3))) (local.get $vcv))))
                            (local.set $r (i32.add (local.get $r) (i32.const 2)))
                            (br $rnext)))
                        (if (i32.lt_s (local.get $r) (local.get $len2))
                          (then
                            (local.set $pw (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3)))
                            (f64.store (local.get $pw) (f64.add (f64.load (local.get $pw))
                              (f64.mul (f64.load (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3))) (local.get $vc))))))
                        (local.set $c (i32.add (local.get $c) (i32.const 1)))
                        (br $cnext)))
                    (local.set $f0 (f64.mul (local.get $tau) (f64.load (i32.shl (local.get $v) (i32.const 3)))))
                    (local.set $r (i32.const 0))
                    (block $done
                      (loop $next
                        (br_if $done (i32.ge_s (local.get $r) (local.get $len2)))
                        (local.set $pb (i32.shl (i32.add (local.get $base0) (local.get $r)) (i32.const 3)))
                        (f64.store (local.get $pb) (f64.sub (f64.load (local.get $pb))
                          (f64.mul (f64.load (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3))) (local.get $f0))))
                        (local.set $r (i32.add (local.get $r) (i32.const 1)))
                        (br $next)))))
                (local.set $tau2 (f64.const 0))
                (if (i32.ge_s (local.get $len2) (i32.const 2))
                  (then (local.set $tau2 (call $householder (local.get $base0) (local.get $len2) (local.get $v2)))))
                (if (i32.or (f64.ne (local.get $tau) (f64.const 0)) (f64.ne (local.get $tau2) (f64.const 0)))
                  (then
                    (local.set $c (i32.const 1))
                    (block $cdone
                      (loop $cnext
                        (br_if $cdone (i32.ge_s (local.get $c) (local.get $len)))
                        (local.set $base (i32.add (local.get $base0) (i32.mul (local.get $c) (i32.sub (local.get $ld) (i32.const 1)))))
                        (local.set $f (f64.mul (local.get $tau) (f64.load (i32.shl (i32.add (local.get $v) (local.get $c)) (i32.const 3)))))
                        (local.set $fv (f64x2.splat (local.get $f)))
                        (if (f64.eq (local.get $tau2) (f64.const 0))
                          (then
                            ;; Only the right update: B[:, c] -= w f.
                            (local.set $r (i32.const 0))
                            (block $done
                              (loop $next
                                (br_if $done (i32.ge_s (local.get $r) (local.get $len2)))
                                (local.set $pb (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3)))
                                (f64.store (local.get $pb) (f64.sub (f64.load (local.get $pb))
                                  (f64.mul (f64.load (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3))) (local.get $f))))
                                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                                (br $next))))
                          (else
                            (if (f64.ne (local.get $tau) (f64.const 0))
                              (then
                                ;; Right update and the dot with v2 in one pass (even / odd lanes).
                                (local.set $dotv (v128.const f64x2 0 0))
                                (local.set $r (i32.const 0))
                                (block $rdone
                                  (loop $rnext
                                    (br_if $rdone (i32.ge_s (i32.add (local.get $r) (i32.const 1)) (local.get $len2)))
                                    (local.set $pb (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3)))
                                    (local.set $xv (f64x2.sub (v128.load (local.get $pb))
                                      (f64x2.mul (v128.load (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3))) (local.get $fv))))
                                    (v128.store (local.get $pb) (local.get $xv))
                                    (local.set $dotv (f64x2.add (local.get $dotv)
                                      (f64x2.mul (v128.load (i32.shl (i32.add (local.get $v2) (local.get $r)) (i32.const 3))) (local.get $xv))))
                                    (local.set $r (i32.add (local.get $r) (i32.const 2)))
                                    (br $rnext)))
                                (if (i32.lt_s (local.get $r) (local.get $len2))
                                  (then
                                    (local.set $pb (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3)))
                                    (local.set $x (f64.sub (f64.load (local.get $pb))
                                      (f64.mul (f64.load (i32.shl (i32.add (local.get $w) (local.get $r)) (i32.const 3))) (local.get $f))))
                                    (f64.store (local.get $pb) (local.get $x))
                                    (local.set $dotv (f64x2.replace_lane 0 (local.get $dotv)
                                      (f64.add (f64x2.extract_lane 0 (local.get $dotv))
                                        (f64.mul (f64.load (i32.shl (i32.add (local.get $v2) (local.get $r)) (i32.const 3))) (local.get $x)))))))
                                (local.set $dot (f64.add (f64x2.extract_lane 0 (local.get $dotv)) (f64x2.extract_lane 1 (local.get $dotv)))))
                              (else
                                (local.set $dot (f64.const 0))
                                (local.set $r (i32.const 0))
                                (block $done
                                  (loop $next
                                    (br_if $done (i32.ge_s (local.get $r) (local.get $len2)))
                                    (local.set $dot (f64.add (local.get $dot)
                                      (f64.mul (f64.load (i32.shl (i32.add (local.get $v2) (local.get $r)) (i32.const 3)))
                                        (f64.load (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3))))))
                                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                                    (br $next)))))
                            ;; B[:, c] -= (tau2 dot) v2
                            (local.set $dot (f64.mul (local.get $dot) (local.get $tau2)))
                            (local.set $fv (f64x2.splat (local.get $dot)))
                            (local.set $r (i32.const 0))
                            (block $rdone
                              (loop $rnext
                                (br_if $rdone (i32.ge_s (i32.add (local.get $r) (i32.const 1)) (local.get $len2)))
                                (local.set $pb (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3)))
                                (v128.store (local.get $pb) (f64x2.sub (v128.load (local.get $pb))
                                  (f64x2.mul (local.get $fv) (v128.load (i32.shl (i32.add (local.get $v2) (local.get $r)) (i32.const 3))))))
                                (local.set $r (i32.add (local.get $r) (i32.const 2)))
                                (br $rnext)))
                            (if (i32.lt_s (local.get $r) (local.get $len2))
                              (then
                                (local.set $pb (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3)))
                                (f64.store (local.get $pb) (f64.sub (f64.load (local.get $pb))
                                  (f64.mul (local.get $dot) (f64.load (i32.shl (i32.add (local.get $v2) (local.get $r)) (i32.const 3))))))))))
                        (local.set $c (i32.add (local.get $c) (i32.const 1)))
                        (br $cnext)))))
                ;; Type 3: H2's two-sided action on its diagonal block.
                (call $twoSided (local.get $nst) (local.get $len2) (local.get $v2) (local.get $tau2) (local.get $w))
                (local.set $st (local.get $nst))
                (local.set $ed (local.get $ned))
                (local.set $len (local.get $len2))
                (local.set $tau (local.get $tau2))
                (local.set $swap (local.get $v))
                (local.set $v (local.get $v2))
                (local.set $v2 (local.get $swap))
                (br $chase)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jnext))))

  ;; Panel factorisation (eigen/band.ts factorPanel before it moved here). `cur`: the panel's m
  ;; rows of b values, row-major (the block column below its diagonal block); `panel` (m x b,
  ;; column-major) receives R in its upper triangle; `vt` (b x m, row-major) the reflectors as rows,
  ;; `tau` the b taus, `T` (b x b row-major) the block reflector's T; `v`, `dots`: scratch.
  (func (export "factor") (param $m i32) (param $b i32) (param $cur i32) (param $panel i32) (param $vt i32)
    (param $v i32) (param $tauAll i32) (param $T i32) (param $dots i32)
    (local $r i32) (local $c i32) (local $cc i32) (local $i i32) (local $j i32) (local $l i32) (local $len i32)
    (local $colOff i32) (local $off i32) (local $vi i32) (local $vj i32) (local $reflectors i32) (local $p i32)
    (local $tau f64) (local $f f64) (local $acc f64) (local $x f64)
    (local $dv v128) (local $dv2 v128) (local $fv v128)
    ;; Column-major copy of the panel.
    (local.set $r (i32.const 0))
    (block $rdone
      (loop $rnext
        (br_if $rdone (i32.ge_s (local.get $r) (local.get $m)))
        (local.set $c (i32.const 0))
        (block $cdone
          (loop $cnext
            (br_if $cdone (i32.ge_s (local.get $c) (local.get $b)))
            (f64.store (i32.shl (i32.add (local.get $panel) (i32.add (i32.mul (local.get $c) (local.get $m)) (local.get $r))) (i32.const 3))
              (f64.load (i32.shl (i32.add (local.get $cur) (i32.add (i32.mul (local.get $r) (local.get $b)) (local.get $c))) (i32.const 3))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $cnext)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rnext)))
    ;; vt = 0
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (i32.mul (local.get $b) (local.get $m))))
        (f64.store (i32.shl (i32.add (local.get $vt) (local.get $i)) (i32.const 3)) (f64.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.set $reflectors (select (local.get $m) (local.get $b) (i32.lt_s (local.get $m) (local.get $b))))
    ;; Householder QR (dgeqr2); reflector c lives in rows c..m-1 of column c.
    (local.set $c (i32.const 0))
    (block $cdone
      (loop $cnext
        (br_if $cdone (i32.ge_s (local.get $c) (local.get $reflectors)))
        (local.set $colOff (i32.mul (local.get $c) (local.get $m)))
        (local.set $len (i32.sub (local.get $m) (local.get $c)))
        (local.set $tau (call $householder (i32.add (local.get $panel) (i32.add (local.get $colOff) (local.get $c))) (local.get $len) (local.get $v)))
        (f64.store (i32.shl (i32.add (local.get $tauAll) (local.get $c)) (i32.const 3)) (local.get $tau))
        (local.set $i (i32.const 0))
        (block $done
          (loop $next
            (br_if $done (i32.ge_s (local.get $i) (local.get $len)))
            (f64.store (i32.shl (i32.add (local.get $vt) (i32.add (local.get $colOff) (i32.add (local.get $c) (local.get $i)))) (i32.const 3))
              (f64.load (i32.shl (i32.add (local.get $v) (local.get $i)) (i32.const 3))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (if (f64.ne (local.get $tau) (f64.const 0))
          (then
            (local.set $cc (i32.add (local.get $c) (i32.const 1)))
            (block $ccdone
              (loop $ccnext
                (br_if $ccdone (i32.ge_s (local.get $cc) (local.get $b)))
                (local.set $off (i32.add (local.get $panel) (i32.add (i32.mul (local.get $cc) (local.get $m)) (local.get $c))))
                ;; dot = v . column (even / odd lanes), f = dot * tau, column -= f v
                (local.set $dv (v128.const f64x2 0 0))
                (local.set $i (i32.const 0))
                (block $done
                  (loop $next
                    (br_if $done (i32.ge_s (i32.add (local.get $i) (i32.const 1)) (local.get $len)))
                    (local.set $dv (f64x2.add (local.get $dv)
                      (f64x2.mul (v128.load (i32.shl (i32.add (local.get $v) (local.get $i)) (i32.const 3)))
                        (v128.load (i32.shl (i32.add (local.get $off) (local.get $i)) (i32.const 3))))))
                    (local.set $i (i32.add (local.get $i) (i32.const 2)))
                    (br $next)))
                (if (i32.lt_s (local.get $i) (local.get $len))
                  (then
                    (local.set $dv (f64x2.replace_lane 0 (local.get $dv)
                      (f64.add (f64x2.extract_lane 0 (local.get $dv))
                        (f64.mul (f64.load (i32.shl (i32.add (local.get $v) (local.get $i)) (i32.const 3)))
                          (f64.load (i32.shl (i32.add (local.get $off) (local.get $i)) (i32.const 3)))))))))
                (local.set $f (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $dv)) (f64x2.extract_lane 1 (local.get $dv))) (local.get $tau)))
                (local.set $fv (f64x2.splat (local.get $f)))
                (local.set $i (i32.const 0))
                (block $done
                  (loop $next
                    (br_if $done (i32.ge_s (i32.add (local.get $i) (i32.const 1)) (local.get $len)))
                    (local.set $p (i32.shl (i32.add (local.get $off) (local.get $i)) (i32.const 3)))
                    (v128.store (local.get $p) (f64x2.sub (v128.load (local.get $p))
                      (f64x2.mul (local.get $fv) (v128.load (i32.shl (i32.add (local.get $v) (local.get $i)) (i32.const 3))))))
                    (local.set $i (i32.add (local.get $i) (i32.const 2)))
                    (br $next)))
                (if (i32.lt_s (local.get $i) (local.get $len))
                  (then
                    (local.set $p (i32.shl (i32.add (local.get $off) (local.get $i)) (i32.const 3)))
                    (f64.store (local.get $p) (f64.sub (f64.load (local.get $p))
                      (f64.mul (local.get $f) (f64.load (i32.shl (i32.add (local.get $v) (local.get $i)) (i32.const 3))))))))
                (local.set $cc (i32.add (local.get $cc) (i32.const 1)))
                (br $ccnext)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cnext)))
    (local.set $c (local.get $reflectors))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $c) (local.get $b)))
        (f64.store (i32.shl (i32.add (local.get $tauAll) (local.get $c)) (i32.const 3)) (f64.const 0))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $next)))
    ;; T of the block reflector Q = H_0 ... H_{b-1} = I - V T V^T (dlarft, forward, columnwise).
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (i32.mul (local.get $b) (local.get $b))))
        (f64.store (i32.shl (i32.add (local.get $T) (local.get $i)) (i32.const 3)) (f64.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.set $i (i32.const 0))
    (block $idone
      (loop $inext
        (br_if $idone (i32.ge_s (local.get $i) (local.get $b)))
        (local.set $tau (f64.load (i32.shl (i32.add (local.get $tauAll) (local.get $i)) (i32.const 3))))
        (f64.store (i32.shl (i32.add (local.get $T) (i32.add (i32.mul (local.get $i) (local.get $b)) (local.get $i))) (i32.const 3)) (local.get $tau))
        (if (i32.and (f64.ne (local.get $tau) (f64.const 0)) (i32.ne (local.get $i) (i32.const 0)))
          (then
            ;; dots[j] = V[:, j] . v_i over rows i.. (v_i is zero above row i), in four partial sums.
            (local.set $vi (i32.add (local.get $vt) (i32.mul (local.get $i) (local.get $m))))
            (local.set $j (i32.const 0))
            (block $jdone
              (loop $jnext
                (br_if $jdone (i32.ge_s (local.get $j) (local.get $i)))
                (local.set $vj (i32.add (local.get $vt) (i32.mul (local.get $j) (local.get $m))))
                (local.set $dv (v128.const f64x2 0 0))
                (local.set $dv2 (v128.const f64x2 0 0))
                (local.set $r (local.get $i))
                (block $done
                  (loop $next
                    (br_if $done (i32.ge_s (i32.add (local.get $r) (i32.const 3)) (local.get $m)))
                    (local.set $dv (f64x2.add (local.get $dv)
                      (f64x2.mul (v128.load (i32.shl (i32.add (local.get $vj) (local.get $r)) (i32.const 3)))
                        (v128.load (i32.shl (i32.add (local.get $vi) (local.get $r)) (i32.const 3))))))
                    (local.set $dv2 (f64x2.add (local.get $dv2)
                      (f64x2.mul (v128.load (i32.shl (i32.add (local.get $vj) (i32.add (local.get $r) (i32.const 2))) (i32.const 3)))
                        (v128.load (i32.shl (i32.add (local.get $vi) (i32.add (local.get $r) (i32.const 2))) (i32.const 3))))))
                    (local.set $r (i32.add (local.get $r) (i32.const 4)))
                    (br $next)))
                (local.set $x (f64x2.extract_lane 0 (local.get $dv)))
                (block $done
                  (loop $next
                    (br_if $done (i32.ge_s (local.get $r) (local.get $m)))
                    (local.set $x (f64.add (local.get $x)
                      (f64.mul (f64.load (i32.shl (i32.add (local.get $vj) (local.get $r)) (i32.const 3)))
                        (f64.load (i32.shl (i32.add (local.get $vi) (local.get $r)) (i32.const 3))))))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $next)))
                (f64.store (i32.shl (i32.add (local.get $dots) (local.get $j)) (i32.const 3))
                  (f64.add (f64.add (local.get $x) (f64x2.extract_lane 1 (local.get $dv)))
                    (f64.add (f64x2.extract_lane 0 (local.get $dv2)) (f64x2.extract_lane 1 (local.get $dv2)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jnext)))
            ;; T[0:i, i] = -tau T[0:i, 0:i] dots
            (local.set $j (i32.const 0))
            (block $jdone
              (loop $jnext
                (br_if $jdone (i32.ge_s (local.get $j) (local.get $i)))
                (local.set $acc (f64.const 0))
                (local.set $l (local.get $j))
                (block $done
                  (loop $next
                    (br_if $done (i32.ge_s (local.get $l) (local.get $i)))
                    (local.set $acc (f64.add (local.get $acc)
                      (f64.mul (f64.load (i32.shl (i32.add (local.get $T) (i32.add (i32.mul (local.get $j) (local.get $b)) (local.get $l))) (i32.const 3)))
                        (f64.load (i32.shl (i32.add (local.get $dots) (local.get $l)) (i32.const 3))))))
                    (local.set $l (i32.add (local.get $l) (i32.const 1)))
                    (br $next)))
                (f64.store (i32.shl (i32.add (local.get $T) (i32.add (i32.mul (local.get $j) (local.get $b)) (local.get $i))) (i32.const 3))
                  (f64.mul (f64.neg (local.get $tau)) (local.get $acc)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jnext)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $inext))))
)
