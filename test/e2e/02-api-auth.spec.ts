// The loopback API: every call needs the launch token.
import { expect, test } from './fixtures';

test('the API refuses a missing or wrong token with 401', async ({ api, srv }) => {
  const none = await api('listRuns', {}, null);
  expect(none.status, 'no token').toBe(401);
  const wrong = await api('listRuns', {}, `${srv.token.slice(0, -2)}xx`);
  expect(wrong.status, 'wrong token').toBe(401);
  expect(wrong.body?.code, `error body ${JSON.stringify(wrong.body)}`).toBe('unauthorized');
  const right = await api('listRuns', {});
  expect(right.status, 'right token').toBe(200);
});
