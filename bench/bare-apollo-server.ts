import { readFile } from 'node:fs/promises';
import http from 'node:http';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';

/**
 * The same-run baseline of the API benchmark: a bare Apollo Server 5 on express with Cible's own
 * schema (schema.graphql) and the very response Cible gives, served from memory. No database, no
 * auth, no DataLoaders: only what any Apollo server pays per request and per field.
 * Usage: node dist/bench/bare-apollo-server.js PORT RESPONSE.json
 */
const [port, responseFile] = process.argv.slice(2);
const typeDefs = await readFile('schema.graphql', 'utf8');
const data = JSON.parse(await readFile(responseFile, 'utf8')) as { customers: unknown };
// Cache control off as in Cible, so that the comparison measures only what Cible adds per request.
const apollo = new ApolloServer({
  typeDefs,
  resolvers: { Query: { customers: () => data.customers } },
  stopOnTerminationSignals: false,
  plugins: [ApolloServerPluginCacheControlDisabled()],
});
await apollo.start();
const app = express();
app.use('/graphql', express.json({ limit: '25mb' }), expressMiddleware(apollo));
http.createServer(app).listen(Number(port), '127.0.0.1', () => process.stdout.write('bare server ready\n'));
process.on('SIGTERM', () => process.exit(0));
