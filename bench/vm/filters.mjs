// The example filters of programs/examples as hand-written functions, and the packets the
// benchmark runs them over. Each function does what the C program does, check for check.

/** magic_token.c: 0 pass, 1 drop. */
export function magicToken(ip) {
  const n = ip.length;
  if (n < 1 || n > 1500) return 1;
  const version = ip[0] >> 4;
  let ihl;
  if (version === 4) {
    ihl = (ip[0] & 0xf) * 4;
    if (ihl < 20 || n < 20 || ip[9] !== 17) return 1;
  } else if (version === 6) {
    ihl = 40;
    if (n < 40) return 1;
  } else return 1;
  if (ihl + 8 > n) return 1;
  if (((ip[ihl + 2] << 8) | ip[ihl + 3]) !== 207) return 1;
  const app = ihl + 8;
  if (app + 3 > n) return 1;
  const tokenLength = (ip[app + 1] << 8) | ip[app + 2];
  if (tokenLength === 0 || ((ip[ihl + 4] << 8) | ip[ihl + 5]) !== 11 + tokenLength) return 1;
  if (app + 3 + tokenLength > n) return 1;
  return ip[app + 2 + tokenLength] === 0xcf ? 0 : 1;
}

/** tail_check.c (socket filter): skb->len on a match, 0 otherwise. */
export function tailCheck(ip) {
  const n = ip.length;
  if (n < 1) return 0;
  const version = ip[0] >> 4;
  let udp;
  if (version === 4) {
    if (n < 20 || ip[9] !== 17) return 0;
    if (((ip[6] << 8) | ip[7]) & 0x3fff) return 0;
    udp = (ip[0] & 0xf) * 4;
    if (udp < 20) return 0;
  } else if (version === 6) {
    if (n < 40 || ip[6] !== 17) return 0;
    udp = 40;
  } else return 0;
  if (udp + 8 > n) return 0;
  const udpLength = (ip[udp + 4] << 8) | ip[udp + 5];
  if (udpLength < 13) return 0;
  const t = udp + udpLength - 5;
  if (t + 5 > n) return 0;
  return ip[t] === 0x78 && ip[t + 1] === 0x79 && ip[t + 2] === 0x7a && ip[t + 3] === 0x7a && ip[t + 4] === 0x79 ? n : 0;
}

/**
 * challenge.c over the same host objects the helpers use, producing the same effects the edge
 * acts on (the challenge payload, the status change with its previous status): 0 pass, 1 drop.
 */
export function challenge(meta, now, host, effects) {
  effects.challenge = null;
  effects.statusChange = null;
  const entry = host.state.getStatus(meta.srcIp, now);
  const status = entry ? entry.status : 0;
  if (status === 2) return 0;
  if (status === 3) return 1;
  const setStatus = (to, lifetime) => {
    const from = host.state.getStatus(meta.srcIp, now)?.status ?? 0;
    const expiry = Math.floor(now) + lifetime;
    host.state.setStatus(meta.srcIp, { status: to, expiry }, now);
    effects.statusChange = { from, to, expiry };
  };
  const answer = host.challenge.verify(meta, now);
  if (answer === 1) {
    setStatus(2, 3600);
    host.counter(2, 1n);
    return 1;
  }
  if (answer < 0) {
    host.counter(3, 1n);
    if (answer === -9) { // FS_ANSWER_PROVES_RECEIPT: only a wrong proof of work blocks
      setStatus(3, 600);
      host.counter(4, 1n);
      return 1;
    }
  }
  if (host.challengesEnabled && host.allowChallenge(meta, now)) {
    const payload = host.challenge.issue(meta, now);
    if (typeof payload !== 'number' && payload.length <= meta.payload.length) {
      effects.challenge = payload;
      host.counter(1, 1n);
    }
  }
  if (status !== 1) setStatus(1, 60);
  return 1;
}
