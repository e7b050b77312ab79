// Child process for the keyring test: stores, reads back and deletes a secret in the real OS keyring,
// then prints what happened as one JSON line.
import { keyringSecrets } from '../../../../engine/store';

const [service, account, secret] = process.argv.slice(2) as [string, string, string];
const store = keyringSecrets(service);
const set = await store.set(account, secret);
const got = await store.get(account);
const other = await keyringSecrets(service).get(`${account}-other`);
const deleted = await store.delete(account);
const after = await store.get(account);
process.stdout.write(`${JSON.stringify({ set, got, other, deleted, after })}\n`);
