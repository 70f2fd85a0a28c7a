'use strict';
/**
 * DynamoDB: sessions (a cart per session) and a small read-through cache for product pages.
 *
 * sessions: hash key `sessionId` (S); `userId` (S, absent for anonymous sessions); `expiresAt`
 *   (N, epoch seconds, the table's TTL attribute); `createdAt` (S); `cart` (M: reservationId ->
 *   {sku, quantity, reservedAt}). GSI `byUser`: hash `userId`, range `expiresAt`, projection
 *   ALL, used to find a user's live session instead of opening a new one on every visit.
 * cache: hash key `cacheKey` (S); `value` (S, JSON); `expiresAt` (N, TTL).
 *
 * DynamoDB deletes expired items lazily (hours later), so every read also checks expiresAt.
 */
const crypto = require('node:crypto');
const { DynamoDBClient, CreateTableCommand, UpdateTimeToLiveCommand, DescribeTableCommand } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } = require('@aws-sdk/lib-dynamodb');

const USER_INDEX = 'byUser';

function dynamoClient(config) {
  const options = { region: config.region, maxAttempts: 3 };
  if (config.awsEndpoint) {
    options.endpoint = config.awsEndpoint;
    // A local endpoint (moto, DynamoDB Local) takes any credentials; without these the SDK would
    // walk the whole provider chain (and wait on the instance metadata service) first.
    if (!process.env.AWS_ACCESS_KEY_ID) options.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  // Short timeouts: a stalled DynamoDB must surface as a 503, not a request that hangs.
  // (the client builds its NodeHttpHandler from these options)
  // throwOnRequestTimeout: this SDK version only logs a warning on requestTimeout otherwise.
  options.requestHandler = { connectionTimeout: 1000, requestTimeout: 1000, throwOnRequestTimeout: true };
  return new DynamoDBClient(options);
}

function createStore(config, client = dynamoClient(config)) {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const now = () => Math.floor(Date.now() / 1000);

  function live(item) {
    return item && Number(item.expiresAt) > now() ? item : null;
  }

  return {
    client,
    async createSession(userId) {
      if (userId) {
        const found = await doc.send(new QueryCommand({
          TableName: config.sessionsTable,
          IndexName: USER_INDEX,
          KeyConditionExpression: 'userId = :u AND expiresAt > :now',
          ExpressionAttributeValues: { ':u': userId, ':now': now() },
          ScanIndexForward: false,
          Limit: 1,
        }));
        if (found.Items && found.Items.length) return { session: found.Items[0], created: false };
      }
      const session = {
        sessionId: crypto.randomUUID(),
        userId: userId || undefined,
        createdAt: new Date().toISOString(),
        expiresAt: now() + config.sessionTtlSeconds,
        cart: {},
      };
      await doc.send(new PutCommand({ TableName: config.sessionsTable, Item: session, ConditionExpression: 'attribute_not_exists(sessionId)' }));
      return { session, created: true };
    },
    async getSession(sessionId) {
      const out = await doc.send(new GetCommand({ TableName: config.sessionsTable, Key: { sessionId }, ConsistentRead: true }));
      return live(out.Item);
    },
    /** Idempotent: the cart is keyed by reservation id, so a replayed reservation re-sets the same entry. */
    async addToCart(sessionId, reservation) {
      try {
        await doc.send(new UpdateCommand({
          TableName: config.sessionsTable,
          Key: { sessionId },
          UpdateExpression: 'SET cart.#rid = :line',
          ConditionExpression: 'attribute_exists(sessionId)',
          ExpressionAttributeNames: { '#rid': reservation.reservationId },
          ExpressionAttributeValues: { ':line': { sku: reservation.sku, quantity: reservation.quantity, reservedAt: reservation.createdAt } },
        }));
        return true;
      } catch (err) {
        if (err.name === 'ConditionalCheckFailedException') return false;
        throw err;
      }
    },
    async cacheGet(key) {
      const out = await doc.send(new GetCommand({ TableName: config.cacheTable, Key: { cacheKey: key } }));
      const item = live(out.Item);
      return item ? JSON.parse(item.value) : null;
    },
    async cachePut(key, value, ttlSeconds) {
      await doc.send(new PutCommand({ TableName: config.cacheTable, Item: { cacheKey: key, value: JSON.stringify(value), expiresAt: now() + ttlSeconds } }));
    },
  };
}

/** Local development only (AWS_ENDPOINT_URL set): create both tables as the stack would. */
async function ensureLocalTables(config, client = dynamoClient(config)) {
  const tables = [
    {
      TableName: config.sessionsTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'sessionId', AttributeType: 'S' },
        { AttributeName: 'userId', AttributeType: 'S' },
        { AttributeName: 'expiresAt', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'sessionId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [{
        IndexName: USER_INDEX,
        KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }, { AttributeName: 'expiresAt', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'ALL' },
      }],
    },
    {
      TableName: config.cacheTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'cacheKey', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'cacheKey', KeyType: 'HASH' }],
    },
  ];
  const created = [];
  for (const table of tables) {
    try {
      await client.send(new DescribeTableCommand({ TableName: table.TableName }));
      continue;
    } catch (err) {
      if (err.name !== 'ResourceNotFoundException') throw err;
    }
    try {
      await client.send(new CreateTableCommand(table));
    } catch (err) {
      // Another migrate run created it between our Describe and Create.
      if (err.name === 'ResourceInUseException') continue;
      throw err;
    }
    await client.send(new UpdateTimeToLiveCommand({ TableName: table.TableName, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }));
    created.push(table.TableName);
  }
  return created;
}

module.exports = { createStore, ensureLocalTables, dynamoClient, USER_INDEX };
