import { createSocket, type Socket } from 'node:dgram';

/** A game server for tests: echoes every datagram with a prefix and remembers what it received. */
export class EchoOrigin {
  readonly received: Buffer[] = [];
  private constructor(readonly socket: Socket, readonly port: number) {}

  static async start(prefix = 'echo:'): Promise<EchoOrigin> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const origin = new EchoOrigin(socket, socket.address().port);
    socket.on('message', (data, rinfo) => {
      origin.received.push(data);
      socket.send(Buffer.concat([Buffer.from(prefix), data]), rinfo.port, rinfo.address);
    });
    return origin;
  }

  close(): void {
    this.socket.close();
  }
}

/** A client without the SDK, from one loopback address (127.0.0.2, 127.0.0.3 … stand for different clients). */
export class RawClient {
  readonly messages: Buffer[] = [];
  private constructor(readonly socket: Socket) {}

  static async bind(address: string): Promise<RawClient> {
    const socket = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve) => socket.bind(0, address, () => resolve()));
    const client = new RawClient(socket);
    socket.on('message', (data) => client.messages.push(data));
    return client;
  }

  /** Resolves once the datagram is handed to the kernel. */
  send(data: Uint8Array | string, port: number): Promise<void> {
    return new Promise((resolve) => this.socket.send(typeof data === 'string' ? Buffer.from(data) : data, port, '127.0.0.1', () => resolve()));
  }

  close(): void {
    this.socket.close();
  }
}
