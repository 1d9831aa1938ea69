import { DatabaseClient } from '../src/modules/persistence/database/database-client';
import { bootApp, TestApp } from './support/app';

const ADMIN_KEY = 'vir_lastadmin_0123456789abcdefghijABCDEFGHIJ';
const asAdmin = { 'x-api-key': ADMIN_KEY };

/** Erasing an account never leaves the platform without an admin. */
describe('the last admin', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'error' });
  });
  afterAll(() => t?.close());

  const expectLastAdmin = (res: { status: number; body: { error?: { code: string } } }) =>
    expect([res.status, res.body.error?.code]).toEqual([409, 'last_admin']);

  it('answers 409 last_admin to erasing the only admin, itself or by id', async () => {
    const admin = await t.app
      .get(DatabaseClient)
      .prisma.user.findFirstOrThrow({ where: { scopes: { has: 'admin' } } });
    expectLastAdmin(await t.http().delete('/v1/me').set(asAdmin));
    expectLastAdmin(await t.http().delete(`/v1/admin/users/${admin.id}`).set(asAdmin));
    await t.http().get('/v1/keys').set(asAdmin).expect(200);
  });

  it('erases an admin while another remains', async () => {
    const other = await t
      .http()
      .post('/v1/admin/users')
      .set(asAdmin)
      .send({ email: 'second-admin@example.com', password: 'p'.repeat(16), scopes: ['admin'] })
      .expect(201);
    await t.http().delete(`/v1/admin/users/${other.body.id}`).set(asAdmin).expect(202);
    expectLastAdmin(await t.http().delete('/v1/me').set(asAdmin));
  });
});
