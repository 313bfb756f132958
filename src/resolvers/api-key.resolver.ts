import { Arg, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyListing } from '../auth/api-keys.js';
import { badInput, notFound } from '../errors.js';
import { ApiKey } from '../schema/api-key.entity.js';
import { Role } from '../schema/enums.js';
import type { Context } from './context.js';

@ObjectType({ simpleResolvers: true, description: 'Who is calling.' })
export class Viewer {
  @Field({ description: 'Name of the API key.' })
  name: string;

  @Field(() => Role)
  role: Role;
}

@ObjectType({ simpleResolvers: true, description: 'A new API key and its secret.' })
export class CreateApiKeyPayload {
  @Field(() => ApiKey)
  apiKey: ApiKey;

  @Field({ description: 'The key itself. Shown once: store it now, Cible keeps only its hash.' })
  secret: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Resolver()
export class ApiKeyResolver {
  @Query(() => Viewer, { description: 'The API key making this request.' })
  viewer(@Ctx() ctx: Context): Viewer {
    return { name: ctx.principal!.name, role: ctx.principal!.role };
  }

  @Query(() => [ApiKey], { description: 'Every API key, newest first (never the secrets).' })
  apiKeys(@Ctx() ctx: Context): Promise<ApiKeyListing[]> {
    return listApiKeys({ db: ctx.db });
  }

  @Mutation(() => CreateApiKeyPayload, { description: 'Creates an API key. The secret is in the answer, once.' })
  async createApiKey(@Ctx() ctx: Context, @Arg('name') name: string, @Arg('role', () => Role) role: Role): Promise<CreateApiKeyPayload> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 100) throw badInput('name', 'INVALID_TEXT', 'name must be 1 to 100 characters');
    const { id, secret, keyPrefix } = await createApiKey({ db: ctx.db, name: trimmed, role });
    return { apiKey: { id, name: trimmed, role, keyPrefix, createdAt: ctx.now, lastUsedAt: null, revokedAt: null } as ApiKey, secret };
  }

  @Mutation(() => Boolean, { description: 'Revokes an API key. Processes stop accepting it within API_KEY_CACHE_SECONDS.' })
  async revokeApiKey(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<boolean> {
    if (!UUID_RE.test(id)) throw badInput('id', 'INVALID_ID', 'id must be an API key id (uuid)');
    if (!(await revokeApiKey({ db: ctx.db, id, now: ctx.now }))) throw notFound('id', 'no live API key has this id');
    ctx.services.apiKeys.clear();
    return true;
  }
}
