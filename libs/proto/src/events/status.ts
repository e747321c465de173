/** Per-source-IP status (DESIGN.md section 4): the numbers are part of the program ABI and the wire. */
export const Status = {
  NONE: 0,
  CHALLENGED: 1,
  VERIFIED: 2,
  BLOCKED: 3,
} as const;

export type Status = (typeof Status)[keyof typeof Status];

export const STATUS_NAMES: Readonly<Record<Status, string>> = {
  0: 'NONE',
  1: 'CHALLENGED',
  2: 'VERIFIED',
  3: 'BLOCKED',
};

export function isStatus(value: unknown): value is Status {
  return value === 0 || value === 1 || value === 2 || value === 3;
}

/** Parses a status given by name (case-insensitive) or number; null when it is neither. */
export function parseStatus(text: string): Status | null {
  const upper = text.trim().toUpperCase();
  for (const [num, name] of Object.entries(STATUS_NAMES)) {
    if (name === upper || num === upper) return Number(num) as Status;
  }
  return null;
}

/** Why an edge changed a status; carried in every event for operators ("why was this client blocked?"). */
export const ReasonCode = {
  UNSPECIFIED: 0,
  PROGRAM: 1,
  CHALLENGE_ISSUED: 2,
  CHALLENGE_SOLVED: 3,
  CHALLENGE_FAILED: 4,
  OPERATOR: 5,
  FIREWALL_RULE: 6,
} as const;

export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

export const REASON_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ReasonCode).map(([name, code]) => [code, name]),
);
