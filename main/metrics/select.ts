// Exact order statistics without sorting: the values a full ascending sort would put at a few
// given positions, found by multi-quickselect (Hoare's FIND extended to a sorted list of target
// positions: partition, recurse only into the sides that still hold a target).
//
// Why: a QQ frame needs 139 type-7 quantiles, i.e. at most 278 order statistics, and sorting
// the whole tensor for them was the largest single cost of the fits unit on an embedding
// (38.6M values: ~4 s per checkpoint, main/metrics/qq.ts). Selection is O(n log m) for m
// targets and returns exactly the sorted array's values (the same multiset, the same order
// statistics), so every quantile is unchanged. A three-way partition keeps it linear on data
// with many equal values (float16 checkpoints have ~30k distinct values); pivots are the median
// of three positions, so sorted or reversed input is no worse than random. Hand-written: no
// npm package selects many order statistics of a typed array in place.

type Values = Float64Array | Float32Array;

/** Below this many elements a range is finished by insertion sort. */
const SMALL = 24;

/**
 * Rearranges `a` in place so that a[k] holds the value a full ascending sort would put there,
 * for every k in `targets` (ascending, distinct, within 0..a.length-1). Finite values only
 * (NaN has no place in the order); -0 and +0 count as equal.
 */
export function selectInPlace(a: Values, targets: readonly number[]): void {
  if (!targets.length) return;
  selectRange(a, 0, a.length - 1, targets, 0, targets.length - 1);
}

function selectRange(a: Values, lo: number, hi: number, t: readonly number[], tLo: number, tHi: number): void {
  // Iterative on the larger side would bound the stack; the depth here is O(log n) in practice
  // because pivots are medians of three and only sides with targets are visited.
  while (hi - lo >= SMALL) {
    const mid = lo + ((hi - lo) >> 1);
    const pivot = median3(a[lo], a[mid], a[hi]);
    // Three-way partition (Dijkstra): [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] > pivot.
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i] = a[lt];
        a[lt] = v;
        lt++;
        i++;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt] = v;
        gt--;
      } else i++;
    }
    // Targets left of lt, inside the equal band (done), right of gt.
    let leftEnd = tLo;
    while (leftEnd <= tHi && t[leftEnd] < lt) leftEnd++;
    let rightStart = leftEnd;
    while (rightStart <= tHi && t[rightStart] <= gt) rightStart++;
    const hasLeft = leftEnd > tLo;
    const hasRight = rightStart <= tHi;
    if (hasLeft && hasRight) {
      selectRange(a, lo, lt - 1, t, tLo, leftEnd - 1);
      lo = gt + 1;
      tLo = rightStart;
    } else if (hasLeft) {
      hi = lt - 1;
      tHi = leftEnd - 1;
    } else if (hasRight) {
      lo = gt + 1;
      tLo = rightStart;
    } else return;
  }
  // Insertion sort of the small remainder: every position in it is then in sorted order.
  for (let i = lo + 1; i <= hi; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

function median3(x: number, y: number, z: number): number {
  if (x < y) return y < z ? y : x < z ? z : x;
  return x < z ? x : y < z ? z : y;
}
