// Child process for the lock test: adds `count` machines named `<tag>-<i>`, one updateState each.
import { updateState, upsertMachine } from '../../../../engine/store';

const [home, tag, count] = process.argv.slice(2);
for (let i = 0; i < Number(count); i++) {
  const result = await updateState(
    (s) =>
      upsertMachine(s, {
        address: `${tag}-${i}`,
        port: 22,
        user: 'root',
        auth: 'key',
        fingerprint: 'SHA256:x',
        trusted: false,
        addedAt: new Date().toISOString(),
      }),
    home,
  );
  if (!result.ok) {
    process.stderr.write(`${result.error.code}: ${result.error.message}\n`);
    process.exit(1);
  }
}
