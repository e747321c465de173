/*
 * One knob for every test time limit: FLOWSHIELD_TEST_TIMEOUT_SCALE (default 1) multiplies each
 * limit a test declares, so a slow or loaded machine (2 cores shared with other work, CI) gives
 * tests more time without anyone editing a number. Limits catch hangs; they never time a result.
 */
export function timeoutScale(): number {
  const raw = process.env.FLOWSHIELD_TEST_TIMEOUT_SCALE;
  if (raw === undefined || raw === '') return 1;
  const scale = Number(raw);
  if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`FLOWSHIELD_TEST_TIMEOUT_SCALE must be a positive number, not '${raw}'`);
  return scale;
}

/** A test's (or a wait's) time limit in ms, scaled by FLOWSHIELD_TEST_TIMEOUT_SCALE. */
export function testTimeout(ms: number): number {
  return Math.round(ms * timeoutScale());
}
