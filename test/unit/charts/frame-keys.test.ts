// Frame objects whose keys come from files (tensor names) keep every key through decodeFrame,
// including "__proto__", which a plain assignment would turn into the object's prototype.
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../../common/frames';

describe('decodeFrame keeps keys named like Object.prototype members', () => {
  it('round-trips __proto__, constructor and toString as own keys', () => {
    const text = '{"__proto__":{"bins":100,"v":{"$f32":"AACAPw=="}},"constructor":{"bins":3},"toString":"x"}';
    const frame = decodeFrame<Record<string, unknown>>(JSON.parse(text));
    expect(Object.keys(frame)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(frame)).toBe(Object.prototype);
    const proto = Object.getOwnPropertyDescriptor(frame, '__proto__')!.value as { bins: number; v: Float32Array };
    expect(proto.bins).toBe(100);
    expect(Array.from(proto.v)).toEqual([1]);
    expect((frame.constructor as unknown as { bins: number }).bins).toBe(3);
    expect(JSON.parse(encodeFrame(frame))).toEqual(JSON.parse(text));
  });
});
