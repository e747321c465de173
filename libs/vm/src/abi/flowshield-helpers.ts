import { HelperResult, type HelperSpec } from './pfp-helpers.js';

/** flowshield's own helpers, numbered from 64 (section "flowshield" only). Codes: flowshield.h. */
export const FLOWSHIELD_HELPERS: readonly HelperSpec[] = [
  {
    id: 64, name: 'fs_issue_challenge', args: [], returns: 'scalar',
    impl: (_ctx, run) => {
      const engine = run.env.challenge;
      if (!engine || !run.env.challengesEnabled) return HelperResult.DISABLED;
      // A trigger too small to carry a challenge is refused before a token is taken (one-byte
      // packets from a victim's address must not spend its challenge budget), and a refused one
      // before a challenge is made (a MAC each: a flood from a few sources is refused cheaply).
      if (engine.challengeBytes > run.meta.payload.length) return HelperResult.TOO_BIG;
      if (!run.env.allowChallenge(run.meta, run.now)) return HelperResult.RATE_LIMITED;
      const challenge = engine.issue(run.meta, run.now);
      if (typeof challenge === 'number') return challenge;
      if (challenge.length > run.meta.payload.length) return HelperResult.TOO_BIG;
      run.effects.challenge = challenge;
      return HelperResult.OK;
    },
  },
  {
    id: 65, name: 'fs_verify_challenge', args: [], returns: 'scalar',
    impl: (_ctx, run) => (run.env.challenge ? run.env.challenge.verify(run.meta, run.now) : 0),
  },
  {
    id: 66, name: 'fs_counter_add', args: ['scalar', 'scalar'], returns: 'scalar',
    impl: (ctx, run) => {
      run.env.counter(ctx.argU32(1), ctx.argU64(2));
      return HelperResult.OK;
    },
  },
  {
    id: 67, name: 'fs_rate_limit', args: ['scalar', 'scalar', 'scalar'], returns: 'scalar',
    impl: (ctx, run) => {
      const rate = ctx.argU32(2);
      const burst = ctx.argU32(3);
      if (rate === 0 || burst === 0) return HelperResult.INVALID;
      return run.buckets.take(ctx.argU32(1), run.meta.srcIp, rate, burst, run.now) ? 1 : 0;
    },
  },
  {
    id: 68, name: 'fs_reply', args: ['mem', 'size'], returns: 'scalar',
    impl: (ctx, run) => {
      const length = ctx.argNumber(2);
      // Never larger than the trigger (no amplification), and limited like challenges: the
      // source may be a spoofed victim. Too big is refused before a token is taken.
      if (length > run.meta.payload.length) return HelperResult.TOO_BIG;
      const reply = ctx.read(ctx.argNumber(1), length).slice();
      if (!run.env.allowReply(run.meta, run.now)) return HelperResult.RATE_LIMITED;
      run.effects.reply = reply;
      return HelperResult.OK;
    },
  },
];
