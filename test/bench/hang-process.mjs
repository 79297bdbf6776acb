// A destination that accepts connections and reads requests but never answers, in its own process.
import { createServer } from 'node:net';

const sockets = new Set();
const server = createServer((socket) => {
  sockets.add(socket);
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.on('close', () => sockets.delete(socket));
});
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}/hang` }));
process.on('message', (message) => {
  if (message.type === 'stats') process.send({ type: 'stats', open: sockets.size });
  if (message.type === 'stop') process.exit(0);
});
