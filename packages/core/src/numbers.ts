/** `x` to `digits` decimals: figures and weights people read or store need no more than that. */
export const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;
