import { randomUUID } from 'node:crypto';
import http from 'node:http';
import mysql from 'mysql2/promise';
import { sourcePositionHeaders } from '../../../contract/index.ts';
import { benchBody } from './bench-body.ts';

/**
 * A small real upstream for the comparison tests and benchmark, run as its own process, once
 * as `legacy` and once as `new`:
 *   tsx strangler-proxy/compare/testing/compare-upstream.ts <port> <legacy|new>
 * with COMPARE_FIXTURE_MYSQL_URL set for the /stock paths. What each path answers:
 *   /same/:id        the same JSON on both sides
 *   /diff/:id        price 10 on legacy, 12 on new
 *   /noisy/:id       same data plus a fresh timestamp and a random request id on every answer
 *   /list            items and tags; new answers them in reverse order (also as /list-raw)
 *   /diff-new/:id, /diff-canary/:id   as /diff
 *   /account/:id     a body with an `ssn` and a `token`; balance 100 on legacy, 101 on new
 *   /slow/…          as /same, but new answers after 300 ms
 *   /bench/:id       a ~2 KiB JSON body, the same on both sides (also as /bench-off/:id)
 *   /stock/:id       the row's qty from the database. New plays a CDC-fed service: it reports
 *                    the binlog position its answer reflects; POST /__hold freezes it (answers
 *                    from a snapshot at the position of the hold), POST /__release lets it
 *                    catch up. /stock-wrong/:id is the same, except new adds 1 once caught up.
 *                    /stock-late/:id is the same, except legacy reads the row 3 s late (a
 *                    write can land between the two sides' answers).
 *                    POST /__pause parks new's /stock answers (GET /__waiting counts them)
 *                    until POST /__release, then they read position and row fresh: a new
 *                    side asked before a write and answering after it. On legacy,
 *                    GET /__count counts the /stock GETs it was asked, and POST /__break
 *                    drops them (socket destroyed, no answer) until POST /__release.
 *   /stock-ahead/:id, /stock-ahead-wrong/:id   as /stock, /stock-wrong
 *   PUT /stock/:id   {"qty": n} writes the row (legacy only: the system of record)
 *   any other path   {path}
 */
const port = Number(process.argv[2] ?? 0);
const role = process.argv[3] === 'new' ? 'new' : 'legacy';
const isNew = role === 'new';
const mysqlUrl = process.env.COMPARE_FIXTURE_MYSQL_URL;
const pool = mysqlUrl ? mysql.createPool({ uri: mysqlUrl, connectionLimit: 4 }) : undefined;

let held: { position: string; ts: number; rows: Map<number, number> } | undefined;
let paused: { released: Promise<void>; release: () => void; waiting: number } | undefined;
let broken = false;
let stockGets = 0;

async function masterPosition(): Promise<string> {
  const [rows] = await pool!.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
  return `${rows[0]!.File}:${rows[0]!.Position}`;
}

async function stockRows(): Promise<Map<number, number>> {
  const [rows] = await pool!.query<mysql.RowDataPacket[]>('SELECT id, qty FROM stock');
  return new Map(rows.map((r) => [Number(r.id), Number(r.qty)]));
}

const send = (
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
};

async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fixture');
  const parts = url.pathname.split('/').filter(Boolean);
  const [first, id = '0'] = parts;
  // Aliases, so one behaviour can sit behind two routes with different rules or modes.
  const head =
    (
      {
        'list-raw': 'list',
        'diff-new': 'diff',
        'diff-canary': 'diff',
        'bench-off': 'bench',
        'stock-ahead': 'stock',
        'stock-ahead-wrong': 'stock-wrong',
      } as Record<string, string>
    )[first ?? ''] ?? first;
  if (req.method === 'POST' && head === '__hold') {
    held = { position: await masterPosition(), ts: Date.now(), rows: await stockRows() };
    return send(res, 200, { held: held.position });
  }
  if (req.method === 'POST' && head === '__pause') {
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    paused = { released, release, waiting: 0 };
    return send(res, 200, { paused: true });
  }
  if (head === '__waiting') return send(res, 200, { waiting: paused?.waiting ?? 0 });
  if (head === '__count') return send(res, 200, { stockGets });
  if (req.method === 'POST' && head === '__break') {
    broken = true;
    return send(res, 200, { broken: true });
  }
  if (req.method === 'POST' && head === '__release') {
    held = undefined;
    broken = false;
    paused?.release();
    paused = undefined;
    return send(res, 200, { released: true });
  }
  if (head === 'stock' || head === 'stock-wrong' || head === 'stock-late') {
    if (req.method === 'PUT') {
      const { qty } = JSON.parse(body) as { qty: number };
      await pool!.query('INSERT INTO stock (id, qty) VALUES (?, ?) ON DUPLICATE KEY UPDATE qty = ?', [
        Number(id),
        qty,
        qty,
      ]);
      return send(res, 200, { id: Number(id), qty });
    }
    if (!isNew) {
      stockGets++;
      if (broken) return void res.destroy();
      if (head === 'stock-late') await new Promise((r) => setTimeout(r, 3000));
      const rows = await stockRows();
      return send(res, 200, { id: Number(id), qty: rows.get(Number(id)) ?? null });
    }
    if (paused) {
      const waitFor = paused;
      waitFor.waiting++;
      await waitFor.released;
    }
    // As the extracted services do: the position is read before the data, so it never
    // claims more than the answer reflects.
    const position = held?.position ?? (await masterPosition());
    const ts = held?.ts ?? Date.now();
    const rows = held?.rows ?? (await stockRows());
    let qty = rows.get(Number(id)) ?? null;
    if (head === 'stock-wrong' && !held && qty !== null) qty += 1;
    return send(
      res,
      200,
      { id: Number(id), qty },
      sourcePositionHeaders({ label: position, sourceTsMs: ts }),
    );
  }
  switch (head) {
    case 'same':
      return send(res, 200, { id: Number(id), name: `item ${id}`, price: '10.00' });
    case 'diff':
      return send(res, 200, { id: Number(id), name: `item ${id}`, price: isNew ? 12 : 10 });
    case 'noisy':
      return send(res, 200, {
        id: Number(id),
        name: `item ${id}`,
        generatedAt: new Date(Date.now() + Math.floor(Math.random() * 1e6)).toISOString(),
        requestId: randomUUID(),
      });
    case 'list': {
      const items = [{ id: 1 }, { id: 2 }, { id: 3 }].map((i) => ({ ...i, name: `item ${i.id}` }));
      const tags = ['red', 'green', 'blue'];
      return send(res, 200, { items: isNew ? items.reverse() : items, tags: isNew ? tags.reverse() : tags });
    }
    case 'account':
      return send(res, 200, {
        id: Number(id),
        ssn: '078-05-1120',
        token: `tok-${role}-secret`,
        balance: isNew ? 101 : 100,
      });
    case 'slow':
      if (isNew) await new Promise((r) => setTimeout(r, 300));
      return send(res, 200, { path: url.pathname });
    case 'bench':
      return send(res, 200, benchBody(id));
    default:
      return send(res, 200, { path: url.pathname });
  }
}

const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => {
    body += c;
  });
  req.on('end', () => {
    handle(req, res, body).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, { error: err.message });
      else res.destroy();
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  console.log(`compare-upstream ${role} ready on ${(server.address() as { port: number }).port}`);
});
