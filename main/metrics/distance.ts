// Distance and cosine similarity between two checkpoints of the same tensor: dist_to_init,
// rel_dist_to_init, cos_to_init and dist_to_prev (DOMAIN.md "Conventions"), in one pass with
// float64 accumulation. Sums are accumulated per chunk and the chunk sums added with Neumaier
// compensation, so 100M-element tensors keep ~1e-15 relative accuracy without any copy.
// Index pairs where either element is non-finite are left out of every sum and counted.
import { MetricInputError, type NonFiniteCounts, type NumericArray } from './moments';

export interface Distance {
  /** ||a - b||_F over index pairs where both are finite. */
  dist: number;
  /** <a, b> / (||a|| ||b||); null when either norm is 0. */
  cos: number | null;
  /** ||a||_F (same pairs). */
  normA: number;
  /** ||b||_F (same pairs): b is the reference (init or previous checkpoint). */
  normB: number;
  /** dist / normB; null when normB is 0. */
  relDist: number | null;
  /** Pairs used. */
  count: number;
  nonFiniteA: NonFiniteCounts;
  nonFiniteB: NonFiniteCounts;
}

const CHUNK = 1 << 14;

/** Neumaier-compensated running sum of chunk partial sums. */
class CompensatedSum {
  sum = 0;
  private c = 0;
  add(v: number): void {
    const t = this.sum + v;
    if (Math.abs(this.sum) >= Math.abs(v)) this.c += this.sum - t + v;
    else this.c += v - t + this.sum;
    this.sum = t;
  }
  value(): number {
    return this.sum + this.c;
  }
}

function census(v: number, counts: NonFiniteCounts): void {
  if (v !== v) counts.nan++;
  else if (v > 0) counts.posInf++;
  else counts.negInf++;
}

/**
 * Streaming form of `distance`: feed aligned pieces of the two tensors in order. Pieces whose
 * lengths are multiples of 16384 give bit-identical results to one call on the whole tensors
 * (the same partial sums are formed), so a checkpoint can be compared chunk by chunk from disk.
 */
export class DistanceAccumulator {
  private readonly dd = new CompensatedSum();
  private readonly aa = new CompensatedSum();
  private readonly bb = new CompensatedSum();
  private readonly ab = new CompensatedSum();
  private count = 0;
  private readonly nonFiniteA: NonFiniteCounts = { nan: 0, posInf: 0, negInf: 0 };
  private readonly nonFiniteB: NonFiniteCounts = { nan: 0, posInf: 0, negInf: 0 };

  add(a: NumericArray, b: NumericArray): this {
    if (a.length !== b.length) {
      throw new MetricInputError('distance.ts', `tensors differ in size: ${a.length} vs ${b.length}`);
    }
    for (let start = 0; start < a.length; start += CHUNK) {
      const end = Math.min(a.length, start + CHUNK);
      let sdd = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let i = start; i < end; i++) {
        const x = a[i];
        const y = b[i];
        const xFinite = x - x === 0;
        const yFinite = y - y === 0;
        if (xFinite && yFinite) {
          const d = x - y;
          sdd += d * d;
          saa += x * x;
          sbb += y * y;
          sab += x * y;
          this.count++;
        } else {
          if (!xFinite) census(x, this.nonFiniteA);
          if (!yFinite) census(y, this.nonFiniteB);
        }
      }
      this.dd.add(sdd);
      this.aa.add(saa);
      this.bb.add(sbb);
      this.ab.add(sab);
    }
    return this;
  }

  /**
   * add() of two tensors given as raw 16-bit codes (float16/bfloat16, main/metrics/code-census.ts)
   * and each one's table of code values: the same sums, bit for bit, as add() of the decoded
   * elements, without decoding them into arrays.
   */
  addCodes(a: Uint16Array, b: Uint16Array, valuesA: Float64Array, valuesB: Float64Array): this {
    if (a.length !== b.length) {
      throw new MetricInputError('distance.ts', `tensors differ in size: ${a.length} vs ${b.length}`);
    }
    for (let start = 0; start < a.length; start += CHUNK) {
      const end = Math.min(a.length, start + CHUNK);
      let sdd = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      let count = 0;
      for (let i = start; i < end; i++) {
        const x = valuesA[a[i]];
        const y = valuesB[b[i]];
        const xFinite = x - x === 0;
        const yFinite = y - y === 0;
        if (xFinite && yFinite) {
          const d = x - y;
          sdd += d * d;
          saa += x * x;
          sbb += y * y;
          sab += x * y;
          count++;
        } else {
          if (!xFinite) census(x, this.nonFiniteA);
          if (!yFinite) census(y, this.nonFiniteB);
        }
      }
      this.count += count;
      this.dd.add(sdd);
      this.aa.add(saa);
      this.bb.add(sbb);
      this.ab.add(sab);
    }
    return this;
  }

  result(): Distance {
    const dist = Math.sqrt(this.dd.value());
    const normA = Math.sqrt(this.aa.value());
    const normB = Math.sqrt(this.bb.value());
    const cos = normA > 0 && normB > 0 ? Math.max(-1, Math.min(1, this.ab.value() / normA / normB)) : null;
    return {
      dist,
      cos,
      normA,
      normB,
      relDist: normB > 0 ? dist / normB : null,
      count: this.count,
      nonFiniteA: { ...this.nonFiniteA },
      nonFiniteB: { ...this.nonFiniteB },
    };
  }
}

/** Frobenius distance, cosine and norms of `a` (current) against `b` (reference). */
export function distance(a: NumericArray, b: NumericArray): Distance {
  return new DistanceAccumulator().add(a, b).result();
}
