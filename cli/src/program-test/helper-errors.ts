import type { LoadedProgram } from '@flowshield/vm';

type HelperSpec = LoadedProgram['type']['helpers'][number];

/*
 * A helper that refuses (a challenge larger than its trigger, a rate-limited reply, an hmac with
 * no key) only returns a negative code to the program, which may ignore it: `flowshield test`
 * names each refusal per packet, so "0 challenges" never hides a challenge the program tried.
 */

// Helpers whose negative result means "nothing there" or "not an answer", not a failure.
const NOT_FAILURES = new Set(['get_src_ip_status', 'get_src_ip_data', 'get_flow_data', 'fs_verify_challenge', 'bpf_map_delete_elem', 'bpf_map_lookup_elem']);

// PFP's and flowshield.h's codes; -4 is TOO_BIG for the helpers that send, INVALID otherwise.
const MEANING: Record<number, string> = { [-1]: 'bad source', [-2]: 'bad destination', [-3]: 'no key or buffer too small', [-4]: 'invalid argument', [-5]: 'disabled', [-6]: 'rate limited' };

// The helpers that send something (length argument, or none), for naming "larger than its trigger".
const SENDS: Record<string, { what: string; lengthArg: number | null }> = {
  set_challenge: { what: 'challenge', lengthArg: 2 },
  fs_issue_challenge: { what: 'challenge', lengthArg: null },
  fs_reply: { what: 'reply', lengthArg: 2 },
};

function describe(spec: HelperSpec, code: number, length: number | null, trigger: number): string {
  const sends = SENDS[spec.name];
  if (sends && code === -4 && (length === null || length > trigger)) {
    return `${sends.what} refused: ${length === null ? 'it is' : `${length} bytes is`} larger than its trigger (${trigger} bytes of UDP payload)`;
  }
  if (sends && code === -5) return `${sends.what} refused: ${sends.what === 'challenge' ? 'challenges are' : 'replies are'} disabled`;
  if (sends && code === -6) return `${sends.what} refused: rate limited`;
  return `returned ${code}${MEANING[code] ? ` (${MEANING[code]})` : ''}`;
}

/**
 * The program with each helper wrapped to note its refusals; `take()` returns and clears the
 * notes of the run since the last call ("name: reason" each).
 */
export function withHelperErrors(program: LoadedProgram): { program: LoadedProgram; take: () => string[] } {
  let notes: string[] = [];
  const helpers = program.type.helpers.map((spec): HelperSpec => (NOT_FAILURES.has(spec.name) || spec.returns !== 'scalar' ? spec : {
    ...spec,
    impl: (ctx, run) => {
      const lengthArg = SENDS[spec.name]?.lengthArg;
      const length = lengthArg ? ctx.argNumber(lengthArg) : null;
      const result = spec.impl(ctx, run);
      const code = Number(result);
      // Only small negative codes: a hash or entropy helper's result is never one, a u64 never is.
      if (code < 0 && code >= -64) notes.push(`${spec.name}: ${describe(spec, code, length, run.meta.payload.length)}`);
      return result;
    },
  }));
  return {
    program: { ...program, type: { ...program.type, helpers } },
    take: () => {
      const taken = notes;
      notes = [];
      return taken;
    },
  };
}
