// The baseline: a bare Node UDP relay with one origin socket per client and no program.
// Usage: node bare-relay.mjs ORIGIN_PORT; prints its listen port.
import { createSocket } from 'node:dgram';

const originPort = Number(process.argv[2]);
const listen = createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
const sessions = new Map();
listen.on('message', (data, rinfo) => {
  const key = `${rinfo.address}|${rinfo.port}`;
  let origin = sessions.get(key);
  if (!origin) {
    origin = createSocket('udp4');
    origin.on('message', (reply) => listen.send(reply, rinfo.port, rinfo.address));
    sessions.set(key, origin);
  }
  origin.send(data, originPort, '127.0.0.1');
});
listen.bind(0, '127.0.0.1', () => console.log(listen.address().port));
