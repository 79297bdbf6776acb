import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The sockets of a server that carry no request right now. Node's own idle-connection close misses sockets a
 * client opened without sending anything yet (browsers and HTTP clients open such spare connections), and a
 * shutdown would wait for each of them until the headers timeout.
 */
export function trackIdleConnections(server: Server): { destroyIdle(): void } {
  const inFlight = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      if (inFlight.has(socket)) inFlight.set(socket, inFlight.get(socket)! - 1);
    });
  });
  return {
    destroyIdle() {
      for (const [socket, requests] of inFlight) if (requests <= 0) socket.destroy();
    },
  };
}
