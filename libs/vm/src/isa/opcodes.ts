/**
 * RFC 9669 opcode fields. An opcode byte is `class | source | operation` (arithmetic and jumps)
 * or `class | size | mode` (loads and stores); every opcode name elsewhere is built from these.
 */
export const enum Class {
  LD = 0x00,
  LDX = 0x01,
  ST = 0x02,
  STX = 0x03,
  ALU = 0x04,
  JMP = 0x05,
  JMP32 = 0x06,
  ALU64 = 0x07,
}

export const enum Source { K = 0x00, X = 0x08 }

export const enum AluOp {
  ADD = 0x00,
  SUB = 0x10,
  MUL = 0x20,
  DIV = 0x30,
  OR = 0x40,
  AND = 0x50,
  LSH = 0x60,
  RSH = 0x70,
  NEG = 0x80,
  MOD = 0x90,
  XOR = 0xa0,
  MOV = 0xb0,
  ARSH = 0xc0,
  END = 0xd0,
}

export const enum JmpOp {
  JA = 0x00,
  JEQ = 0x10,
  JGT = 0x20,
  JGE = 0x30,
  JSET = 0x40,
  JNE = 0x50,
  JSGT = 0x60,
  JSGE = 0x70,
  CALL = 0x80,
  EXIT = 0x90,
  JLT = 0xa0,
  JLE = 0xb0,
  JSLT = 0xc0,
  JSLE = 0xd0,
}

export const enum Size { W = 0x00, H = 0x08, B = 0x10, DW = 0x18 }

export const enum Mode { IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, MEMSX = 0x80, ATOMIC = 0xc0 }

/** The `imm` field of an atomic instruction. */
export const enum AtomicOp {
  ADD = 0x00,
  OR = 0x40,
  AND = 0x50,
  XOR = 0xa0,
  FETCH = 0x01,
  XCHG = 0xe0 | 0x01,
  CMPXCHG = 0xf0 | 0x01,
}

/** `src` field of a CALL: which kind of callee `imm` names. */
export const enum CallKind { HELPER = 0, LOCAL = 1, BTF_KFUNC = 2 }

export const classOf = (opcode: number): number => opcode & 0x07;
export const sourceOf = (opcode: number): number => opcode & 0x08;
export const opOf = (opcode: number): number => opcode & 0xf0;
export const sizeOf = (opcode: number): number => opcode & 0x18;
export const modeOf = (opcode: number): number => opcode & 0xe0;

export const SIZE_BYTES: Readonly<Record<number, number>> = { [Size.W]: 4, [Size.H]: 2, [Size.B]: 1, [Size.DW]: 8 };

/**
 * The opcodes the interpreter and compiler switch on, named from their fields. These are const
 * enums so that `case Op.ADD64_IMM:` compiles to a literal and V8 builds a jump table.
 */
export const enum Op {
  LDDW = Class.LD | Size.DW | Mode.IMM,
  LDABSW = Class.LD | Size.W | Mode.ABS,
  LDABSH = Class.LD | Size.H | Mode.ABS,
  LDABSB = Class.LD | Size.B | Mode.ABS,
  LDABSDW = Class.LD | Size.DW | Mode.ABS,
  LDINDW = Class.LD | Size.W | Mode.IND,
  LDINDH = Class.LD | Size.H | Mode.IND,
  LDINDB = Class.LD | Size.B | Mode.IND,
  LDINDDW = Class.LD | Size.DW | Mode.IND,

  LDXW = Class.LDX | Size.W | Mode.MEM,
  LDXH = Class.LDX | Size.H | Mode.MEM,
  LDXB = Class.LDX | Size.B | Mode.MEM,
  LDXDW = Class.LDX | Size.DW | Mode.MEM,
  LDXSW = Class.LDX | Size.W | Mode.MEMSX,
  LDXSH = Class.LDX | Size.H | Mode.MEMSX,
  LDXSB = Class.LDX | Size.B | Mode.MEMSX,

  STW = Class.ST | Size.W | Mode.MEM,
  STH = Class.ST | Size.H | Mode.MEM,
  STB = Class.ST | Size.B | Mode.MEM,
  STDW = Class.ST | Size.DW | Mode.MEM,

  STXW = Class.STX | Size.W | Mode.MEM,
  STXH = Class.STX | Size.H | Mode.MEM,
  STXB = Class.STX | Size.B | Mode.MEM,
  STXDW = Class.STX | Size.DW | Mode.MEM,
  ATOMIC_W = Class.STX | Size.W | Mode.ATOMIC,
  ATOMIC_DW = Class.STX | Size.DW | Mode.ATOMIC,

  ADD32_IMM = Class.ALU | Source.K | AluOp.ADD,
  ADD32_REG = Class.ALU | Source.X | AluOp.ADD,
  SUB32_IMM = Class.ALU | Source.K | AluOp.SUB,
  SUB32_REG = Class.ALU | Source.X | AluOp.SUB,
  MUL32_IMM = Class.ALU | Source.K | AluOp.MUL,
  MUL32_REG = Class.ALU | Source.X | AluOp.MUL,
  DIV32_IMM = Class.ALU | Source.K | AluOp.DIV,
  DIV32_REG = Class.ALU | Source.X | AluOp.DIV,
  OR32_IMM = Class.ALU | Source.K | AluOp.OR,
  OR32_REG = Class.ALU | Source.X | AluOp.OR,
  AND32_IMM = Class.ALU | Source.K | AluOp.AND,
  AND32_REG = Class.ALU | Source.X | AluOp.AND,
  LSH32_IMM = Class.ALU | Source.K | AluOp.LSH,
  LSH32_REG = Class.ALU | Source.X | AluOp.LSH,
  RSH32_IMM = Class.ALU | Source.K | AluOp.RSH,
  RSH32_REG = Class.ALU | Source.X | AluOp.RSH,
  NEG32 = Class.ALU | Source.K | AluOp.NEG,
  MOD32_IMM = Class.ALU | Source.K | AluOp.MOD,
  MOD32_REG = Class.ALU | Source.X | AluOp.MOD,
  XOR32_IMM = Class.ALU | Source.K | AluOp.XOR,
  XOR32_REG = Class.ALU | Source.X | AluOp.XOR,
  MOV32_IMM = Class.ALU | Source.K | AluOp.MOV,
  MOV32_REG = Class.ALU | Source.X | AluOp.MOV,
  ARSH32_IMM = Class.ALU | Source.K | AluOp.ARSH,
  ARSH32_REG = Class.ALU | Source.X | AluOp.ARSH,
  LE = Class.ALU | Source.K | AluOp.END,
  BE = Class.ALU | Source.X | AluOp.END,

  ADD64_IMM = Class.ALU64 | Source.K | AluOp.ADD,
  ADD64_REG = Class.ALU64 | Source.X | AluOp.ADD,
  SUB64_IMM = Class.ALU64 | Source.K | AluOp.SUB,
  SUB64_REG = Class.ALU64 | Source.X | AluOp.SUB,
  MUL64_IMM = Class.ALU64 | Source.K | AluOp.MUL,
  MUL64_REG = Class.ALU64 | Source.X | AluOp.MUL,
  DIV64_IMM = Class.ALU64 | Source.K | AluOp.DIV,
  DIV64_REG = Class.ALU64 | Source.X | AluOp.DIV,
  OR64_IMM = Class.ALU64 | Source.K | AluOp.OR,
  OR64_REG = Class.ALU64 | Source.X | AluOp.OR,
  AND64_IMM = Class.ALU64 | Source.K | AluOp.AND,
  AND64_REG = Class.ALU64 | Source.X | AluOp.AND,
  LSH64_IMM = Class.ALU64 | Source.K | AluOp.LSH,
  LSH64_REG = Class.ALU64 | Source.X | AluOp.LSH,
  RSH64_IMM = Class.ALU64 | Source.K | AluOp.RSH,
  RSH64_REG = Class.ALU64 | Source.X | AluOp.RSH,
  NEG64 = Class.ALU64 | Source.K | AluOp.NEG,
  MOD64_IMM = Class.ALU64 | Source.K | AluOp.MOD,
  MOD64_REG = Class.ALU64 | Source.X | AluOp.MOD,
  XOR64_IMM = Class.ALU64 | Source.K | AluOp.XOR,
  XOR64_REG = Class.ALU64 | Source.X | AluOp.XOR,
  MOV64_IMM = Class.ALU64 | Source.K | AluOp.MOV,
  MOV64_REG = Class.ALU64 | Source.X | AluOp.MOV,
  ARSH64_IMM = Class.ALU64 | Source.K | AluOp.ARSH,
  ARSH64_REG = Class.ALU64 | Source.X | AluOp.ARSH,
  BSWAP = Class.ALU64 | Source.K | AluOp.END,

  JEQ_IMM = Class.JMP | Source.K | JmpOp.JEQ,
  JEQ_REG = Class.JMP | Source.X | JmpOp.JEQ,
  JGT_IMM = Class.JMP | Source.K | JmpOp.JGT,
  JGT_REG = Class.JMP | Source.X | JmpOp.JGT,
  JGE_IMM = Class.JMP | Source.K | JmpOp.JGE,
  JGE_REG = Class.JMP | Source.X | JmpOp.JGE,
  JSET_IMM = Class.JMP | Source.K | JmpOp.JSET,
  JSET_REG = Class.JMP | Source.X | JmpOp.JSET,
  JNE_IMM = Class.JMP | Source.K | JmpOp.JNE,
  JNE_REG = Class.JMP | Source.X | JmpOp.JNE,
  JSGT_IMM = Class.JMP | Source.K | JmpOp.JSGT,
  JSGT_REG = Class.JMP | Source.X | JmpOp.JSGT,
  JSGE_IMM = Class.JMP | Source.K | JmpOp.JSGE,
  JSGE_REG = Class.JMP | Source.X | JmpOp.JSGE,
  JLT_IMM = Class.JMP | Source.K | JmpOp.JLT,
  JLT_REG = Class.JMP | Source.X | JmpOp.JLT,
  JLE_IMM = Class.JMP | Source.K | JmpOp.JLE,
  JLE_REG = Class.JMP | Source.X | JmpOp.JLE,
  JSLT_IMM = Class.JMP | Source.K | JmpOp.JSLT,
  JSLT_REG = Class.JMP | Source.X | JmpOp.JSLT,
  JSLE_IMM = Class.JMP | Source.K | JmpOp.JSLE,
  JSLE_REG = Class.JMP | Source.X | JmpOp.JSLE,
  JEQ32_IMM = Class.JMP32 | Source.K | JmpOp.JEQ,
  JEQ32_REG = Class.JMP32 | Source.X | JmpOp.JEQ,
  JGT32_IMM = Class.JMP32 | Source.K | JmpOp.JGT,
  JGT32_REG = Class.JMP32 | Source.X | JmpOp.JGT,
  JGE32_IMM = Class.JMP32 | Source.K | JmpOp.JGE,
  JGE32_REG = Class.JMP32 | Source.X | JmpOp.JGE,
  JSET32_IMM = Class.JMP32 | Source.K | JmpOp.JSET,
  JSET32_REG = Class.JMP32 | Source.X | JmpOp.JSET,
  JNE32_IMM = Class.JMP32 | Source.K | JmpOp.JNE,
  JNE32_REG = Class.JMP32 | Source.X | JmpOp.JNE,
  JSGT32_IMM = Class.JMP32 | Source.K | JmpOp.JSGT,
  JSGT32_REG = Class.JMP32 | Source.X | JmpOp.JSGT,
  JSGE32_IMM = Class.JMP32 | Source.K | JmpOp.JSGE,
  JSGE32_REG = Class.JMP32 | Source.X | JmpOp.JSGE,
  JLT32_IMM = Class.JMP32 | Source.K | JmpOp.JLT,
  JLT32_REG = Class.JMP32 | Source.X | JmpOp.JLT,
  JLE32_IMM = Class.JMP32 | Source.K | JmpOp.JLE,
  JLE32_REG = Class.JMP32 | Source.X | JmpOp.JLE,
  JSLT32_IMM = Class.JMP32 | Source.K | JmpOp.JSLT,
  JSLT32_REG = Class.JMP32 | Source.X | JmpOp.JSLT,
  JSLE32_IMM = Class.JMP32 | Source.K | JmpOp.JSLE,
  JSLE32_REG = Class.JMP32 | Source.X | JmpOp.JSLE,

  JA = Class.JMP | JmpOp.JA,
  JA32 = Class.JMP32 | JmpOp.JA,
  CALL = Class.JMP | Source.K | JmpOp.CALL,
  CALLX = Class.JMP | Source.X | JmpOp.CALL,
  EXIT = Class.JMP | JmpOp.EXIT,
}
