import { LifecycleStageEnum, RfmGroupEnum } from '../../schema/customer-metrics.types.js';
import type { FieldDef, FieldType, SqlContext } from './field.js';

const metricsJoin = (ctx: SqlContext) =>
  ctx.join('m', 'LEFT JOIN customer_metrics m ON m.customer_id = c.id', { table: 'customer_metrics', on: 'm.customer_id = c.id' });

function metric(key: string, type: FieldType, description: string, extra: Partial<FieldDef> = {}): FieldDef {
  return { key: `metrics.${key}`, family: 'metrics', type, description, sensitive: false, sql: (ctx) => `${metricsJoin(ctx)}.${key}`, ...extra };
}

/** Computed attributes (RFM, CLV, lifecycle, trend, engagement) as of the last metrics refresh. */
export const metricsFields: readonly FieldDef[] = [
  metric('purchase_count', 'NUMBER', 'Purchases, refunds excluded (frequency).'),
  metric('total_spent', 'NUMBER', 'Total spent, refunds excluded (monetary).'),
  metric('average_order_value', 'NUMBER', 'Average order value.'),
  metric('recency_days', 'NUMBER', 'Days since the last purchase.'),
  metric('first_purchase_at', 'DATETIME', 'First purchase.'),
  metric('last_purchase_at', 'DATETIME', 'Last purchase.'),
  metric('spend_last_90d', 'NUMBER', 'Spend in the last 90 days.'),
  metric('spend_prev_90d', 'NUMBER', 'Spend in the 90 days before those.'),
  metric('trend_ratio', 'NUMBER', 'Last 90 days / previous 90 days; below 1 when spending declines.'),
  metric('r_score', 'NUMBER', 'Recency score 1–5 (5 = most recent).'),
  metric('f_score', 'NUMBER', 'Frequency score 1–5.'),
  metric('m_score', 'NUMBER', 'Monetary score 1–5.'),
  metric('rfm_group', 'ENUM', 'Named RFM group.', { values: Object.values(RfmGroupEnum) }),
  metric('clv_historic', 'NUMBER', 'Historic value (everything spent).'),
  metric('clv_predicted', 'NUMBER', 'Predicted value over the next 12 months.'),
  metric('value_tier', 'NUMBER', 'Value tier 1–5: quintile of predicted CLV among buyers (5 = top 20%).'),
  metric('lifecycle_stage', 'ENUM', 'Lifecycle stage.', { values: Object.values(LifecycleStageEnum) }),
  metric('messages_received_30d', 'NUMBER', 'Messages received in the last 30 days.'),
  metric('messages_opened_30d', 'NUMBER', 'Messages opened in the last 30 days.'),
  metric('messages_clicked_30d', 'NUMBER', 'Messages clicked in the last 30 days.'),
  metric('messages_converted_90d', 'NUMBER', 'Conversions in the last 90 days.'),
];
