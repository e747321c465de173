// The game server of the benchmark: echoes every datagram. Prints its port on stdout.
import { createSocket } from 'node:dgram';

const socket = createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
socket.on('message', (data, rinfo) => socket.send(data, rinfo.port, rinfo.address));
socket.bind(0, '127.0.0.1', () => console.log(socket.address().port));
