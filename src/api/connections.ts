import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The server's connections and how many requests each has in flight, so that
 * shutdown can end every connection that is not serving one. Node's
 * `closeIdleConnections` leaves a connection that was opened but has not sent
 * a request yet until its headers timeout (60 s): any client that connects
 * and says nothing would hold a graceful stop that long.
 */
export function trackConnections(server: Server): { closeUnused(): void } {
  const inFlight = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  // An upgraded connection (WebSocket) belongs to its protocol handler from then on, which ends it itself.
  server.on('upgrade', (req) => inFlight.delete(req.socket));
  server.on('request', (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      if (inFlight.has(socket)) inFlight.set(socket, Math.max(0, inFlight.get(socket)! - 1));
    });
  });
  return {
    closeUnused() {
      for (const [socket, n] of inFlight) if (n === 0) socket.destroy();
    },
  };
}
