import { createApiKey, listApiKeys, revokeApiKey, ROLES } from '../auth/api-keys.js';
import type { Role } from '../schema/enums.js';
import { fail, withDatabase } from './cli-support.js';

const USAGE = `usage:
  npm run apikey -- create --role ${ROLES.join('|')} --name NAME
  npm run apikey -- list
  npm run apikey -- revoke ID`;

/** Manages API keys from the command line. The secret of a new key is printed once, never stored. */
const [command, ...rest] = process.argv.slice(2);
const flag = (name: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
};

await withDatabase(async ({ db }) => {
  if (command === 'create') {
    const role = flag('role') as Role | undefined;
    const name = flag('name')?.trim();
    if (!role || !ROLES.includes(role) || !name) fail(USAGE);
    const key = await createApiKey({ db, name, role });
    process.stdout.write(`Created ${role} key "${name}" (id ${key.id}). Store it now, it is not shown again:\n${key.secret}\n`);
  } else if (command === 'list') {
    // Oldest first on a terminal, so the newest key ends up next to the prompt.
    const keys = (await listApiKeys({ db })).reverse();
    for (const k of keys)
      process.stdout.write(
        `${k.id}  ${k.role.padEnd(8)}  ${k.keyPrefix}…  ${k.revokedAt ? 'revoked' : 'live   '}  ${k.name}  (last used ${k.lastUsedAt?.toISOString() ?? 'never'})\n`,
      );
  } else if (command === 'revoke') {
    const id = rest[0];
    if (!id || !/^[0-9a-f-]{36}$/i.test(id)) fail(USAGE);
    if (!(await revokeApiKey({ db, id, now: new Date() }))) fail(`no live API key has id ${id}`);
    process.stdout.write(`revoked ${id}\n`);
  } else fail(USAGE);
});
