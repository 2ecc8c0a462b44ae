import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, auth, json } from './cluster.js';

/**
 * A console session works on every node: signed in through one node, the
 * cookie is credentials on the other; signing out on one ends it on both; a
 * revoked key ends it on the node that did not revoke it, at the next request.
 * What the store keeps is the hash of the session id and the key's id, never
 * the key.
 */
describe('cluster: console sessions are served by every node', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start(2);
  });
  afterAll(() => cluster?.close());

  /** Sign in through a node; a key made through another node works there once the change log brings it. */
  const signIn = async (node: number, key: string) => {
    const deadline = Date.now() + 10_000;
    let res: Response;
    do {
      res = await fetch(`${cluster.url(node)}/console/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: cluster.url(node) },
        body: JSON.stringify({ key }),
      });
      if (res.status !== 401) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    expect(res.status).toBe(204);
    return /herold_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1];
  };
  const withCookie = (node: number, path: string, cookie: string, init: RequestInit = {}) =>
    fetch(`${cluster.url(node)}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), cookie: `herold_session=${cookie}` } });

  it('signed in on one node, the session works on the other; sign-out on either ends it on both', async () => {
    const created = await json(await fetch(`${cluster.url(0)}/api-keys`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'org:operator' }) }));
    const cookie = await signIn(0, created.key);
    for (const node of [0, 1]) {
      const me = await withCookie(node, '/console/session', cookie);
      expect(me.status).toBe(200);
      expect(await json(me)).toMatchObject({ principal: 'org:operator', admin: false, via: 'key' });
    }
    // An admin session made on node 0 writes through node 1 (with node 1's origin).
    const adminCookie = await signIn(0, auth.authorization.replace(/^Bearer /, ''));
    expect((await withCookie(1, '/lists/from-node-1', adminCookie, { method: 'PUT', headers: { 'content-type': 'application/json', origin: cluster.url(1) }, body: '{}' })).status).toBe(201);
    // The store holds the hash of the session id and the key's id: not the cookie, not the key.
    const rows = await cluster.sql<{ id_hash: string; credential: string }>("SELECT id_hash, credential FROM console_sessions WHERE principal = 'org:operator'");
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(cookie);
    expect(JSON.stringify(rows)).not.toContain(created.key);
    expect(JSON.parse(rows[0].credential)).toEqual({ kind: 'api-key', id: created.id });

    expect((await withCookie(1, '/console/session', cookie, { method: 'DELETE', headers: { origin: cluster.url(1) } })).status).toBe(204);
    for (const node of [0, 1]) expect((await withCookie(node, '/console/session', cookie)).status).toBe(401);
  });

  it('revoking the key through one node ends the session on the other at its next request', async () => {
    const created = await json(await fetch(`${cluster.url(0)}/api-keys`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'org:temp' }) }));
    const cookie = await signIn(1, created.key);
    expect((await withCookie(0, '/lists', cookie)).status).toBe(200);
    expect((await fetch(`${cluster.url(0)}/api-keys/${created.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    // Node 1 learns of the revocation through the cluster change log.
    const deadline = Date.now() + 10_000;
    let status = 0;
    let detail = '';
    while (Date.now() < deadline) {
      const res = await withCookie(1, '/lists', cookie);
      status = res.status;
      if (status === 401) {
        detail = (await json(res)).detail;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
    expect(detail).toMatch(/revoked/);
    // Ended for good, on both nodes.
    expect((await withCookie(0, '/lists', cookie)).status).toBe(401);
    expect(await cluster.sql("SELECT 1 FROM console_sessions WHERE principal = 'org:temp'")).toHaveLength(0);
  });
});
