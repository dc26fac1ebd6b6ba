// The bench's Node.js peer: what a Node developer would write for Raffler's frames with the `ws`
// library: raffles in a Map, no database, no tokens, no limits, no heartbeat. A draw serializes
// its `winner_drawn` once and sends it to every phone of the raffle in one loop. The host hears
// `players_joined` batches at most ten times a second, as Raffler's does, so that the load
// generator (loadgen/) drives it unchanged. It is the floor the bench compares Raffler with.
// Usage: node server.mjs [PORT]   (WebSocket at any path, on 127.0.0.1)
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] || 3201);
// perMessageDeflate off as Raffler's; a backlog that a hall joining at once does not overflow.
const wss = new WebSocketServer({ port, host: '127.0.0.1', backlog: 4096, maxPayload: 4096, perMessageDeflate: false });
const raffles = new Map();
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const newCode = () => Array.from({ length: 6 }, () => LETTERS[Math.floor(Math.random() * LETTERS.length)]).join('');
const send = (ws, msg) => ws.send(JSON.stringify(msg));

// The hosts' batches: new players at most ten times a second.
setInterval(() => {
  for (const raffle of raffles.values()) {
    if (raffle.pending.length === 0) continue;
    send(raffle.host, { type: 'players_joined', players: raffle.pending, total: raffle.players.length });
    raffle.pending = [];
  }
}, 100);

wss.on('connection', (ws) => {
  let hosting = null;
  ws.on('message', (data) => {
    let msg;
    try { msg = JSON.parse(data); } catch { return; }
    switch (msg.type) {
      case 'start_raffle': {
        hosting = newCode();
        raffles.set(hosting, { host: ws, players: [], phones: [], pending: [], seq: 1 });
        send(ws, { type: 'raffle_started', code: hosting, host_token: '0'.repeat(32) });
        break;
      }
      case 'join': {
        const raffle = raffles.get(msg.code);
        if (!raffle) return send(ws, { type: 'error', code: 'unknown_code', field: 'code', message: 'no such raffle' });
        const you = { id: raffle.players.length + 1, name: msg.name };
        raffle.players.push(you);
        raffle.phones.push(ws);
        raffle.pending.push(you);
        raffle.seq += 1;
        send(ws, { type: 'joined', seq: raffle.seq, code: msg.code, token: '1'.repeat(32), you });
        break;
      }
      case 'draw': {
        const raffle = raffles.get(hosting);
        if (!raffle || raffle.players.length === 0) return;
        const winner = raffle.players[Math.floor(Math.random() * raffle.players.length)];
        raffle.seq += 2; // Raffler's draw_started and winner_drawn
        const frame = JSON.stringify({ type: 'winner_drawn', seq: raffle.seq, draw: msg.draw, prize: null, winner, claim_seconds: 0 });
        for (const phone of raffle.phones) if (phone.readyState === 1) phone.send(frame);
        break;
      }
      case 'ping': send(ws, { type: 'pong' }); break;
      default: break; // the rest of Raffler's protocol: not needed by the load generator
    }
  });
});
console.error(`node-ws peer pid=${process.pid} on 127.0.0.1:${port}`);
