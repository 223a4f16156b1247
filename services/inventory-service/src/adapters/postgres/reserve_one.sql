-- The single-SKU reservation in one statement (ADR 0003): lock the order's row, take
-- the stock if it is there and the order holds none yet, write the hold, the movement
-- and the events. Shared with the bench's pgbench reference run.
--   $1 sku, $2 order id, $3 qty, $4 expires_at,
--   $5-$9 the reserved event (id, exchange, routing key, type, payload),
--   $10-$14 the below-safety-stock event, $15-$19 the depleted event, $20 traceparent,
--   $21 the caller: the hold's owner and the movement's actor (never the saga),
--   $22 the location, $23-$27 the stock-changed event (its item patched in from the row)
-- The row's unit price, when it has one, is patched into the reserved line and into the
-- stock-changed item.
-- Every hold of an order is at one location: an order holding stock elsewhere reserves
-- nothing here.
WITH ord AS (
    INSERT INTO order_states (order_id) VALUES ($2)
    ON CONFLICT (order_id) DO UPDATE SET updated_at = now()
     WHERE NOT order_states.cancelled
    RETURNING order_id
), upd AS (
    UPDATE product_inventory
       SET reserved = reserved + $3, version = version + 1, updated_at = now()
     WHERE location_id = $22 AND sku = $1
       AND on_hand - reserved >= $3
       AND EXISTS (SELECT 1 FROM ord)
       AND NOT EXISTS (SELECT 1 FROM reservations
                        WHERE order_id = $2 AND (sku = $1 OR location_id <> $22))
 RETURNING on_hand, reserved, safety_stock, version, updated_at,
           CASE WHEN unit_price_amount IS NOT NULL THEN
               jsonb_build_object('amount', unit_price_amount, 'currency', unit_price_currency)
           END AS unit_price
), hold AS (
    INSERT INTO reservations (order_id, sku, requested, held, status, expires_at, owner, saga, location_id)
    SELECT $2, $1, $3, $3, 'active', $4, $21, false, $22 FROM upd
), movement AS (
    INSERT INTO movements (location_id, sku, kind, qty, order_id, on_hand_after, reserved_after, crossed_below_safety_stock, actor)
    SELECT $22, $1, 'reserved', $3, $2, on_hand, reserved,
           on_hand - reserved < safety_stock AND on_hand - reserved + $3 >= safety_stock,
           $21
      FROM upd
), reserved_event AS (
    INSERT INTO outbox (id, exchange, routing_key, event_type, payload, traceparent)
    SELECT $5, $6, $7, $8,
           CASE WHEN unit_price IS NULL THEN $9
                ELSE jsonb_set($9, '{data,items,0,unitPrice}', unit_price)
           END,
           $20
      FROM upd
), below_event AS (
    INSERT INTO outbox (id, exchange, routing_key, event_type, payload, traceparent)
    SELECT $10, $11, $12, $13,
           jsonb_set(jsonb_set($14, '{data,available}', to_jsonb(on_hand - reserved)),
                     '{data,safetyStock}', to_jsonb(safety_stock)),
           $20
      FROM upd
     WHERE on_hand - reserved < safety_stock AND on_hand - reserved + $3 >= safety_stock
), depleted_event AS (
    INSERT INTO outbox (id, exchange, routing_key, event_type, payload, traceparent)
    SELECT $15, $16, $17, $18,
           jsonb_set(jsonb_set($19, '{data,onHand}', to_jsonb(on_hand)),
                     '{data,reserved}', to_jsonb(reserved)),
           $20
      FROM upd
     WHERE on_hand = reserved
), stock_event AS (
    INSERT INTO outbox (id, exchange, routing_key, event_type, payload, traceparent)
    SELECT $23, $24, $25, $26,
           jsonb_set($27, '{data,items,0}', jsonb_build_object(
               'storeId', $22::text, 'sku', $1::text, 'onHand', on_hand, 'reserved', reserved,
               'available', on_hand - reserved, 'safetyStock', safety_stock,
               'belowSafetyStock', on_hand - reserved < safety_stock,
               'version', version, 'updatedAt', updated_at)
             || CASE WHEN unit_price IS NULL THEN '{}'::jsonb
                     ELSE jsonb_build_object('unitPrice', unit_price)
                END),
           $20
      FROM upd
)
SELECT EXISTS (SELECT 1 FROM upd) AS reserved,
       EXISTS (SELECT 1 FROM ord) AS order_open,
       (SELECT requested FROM reservations WHERE order_id = $2 AND sku = $1) AS held_for,
       (SELECT owner FROM reservations WHERE order_id = $2 AND sku = $1) AS held_by,
       (SELECT saga FROM reservations WHERE order_id = $2 AND sku = $1) AS held_for_saga,
       (SELECT location_id FROM reservations
         WHERE order_id = $2 AND location_id <> $22 LIMIT 1) AS held_elsewhere,
       (SELECT on_hand - reserved FROM product_inventory
         WHERE location_id = $22 AND sku = $1) AS available
