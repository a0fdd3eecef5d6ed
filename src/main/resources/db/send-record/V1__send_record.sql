-- The shared send record (pisp.send-record.store=jdbc): one row per payment this module has started sending.
-- Applied by Flyway at start (history table pisp_send_record_schema_history); never edit a released migration, add V2.

CREATE TABLE pisp_send_record (
    -- The payment's key: of any number of instances claiming it, the primary key lets exactly one insert.
    cdetab                 varchar(5)  NOT NULL,
    payment_information_id varchar(35) NOT NULL,
    -- The queued message that claimed it (the same on every delivery of that message), and its X-Request-ID.
    message_id             text        NOT NULL,
    request_id             varchar(64) NOT NULL,
    -- One per processing of a message: a claim whose commit was answered too late is recognised as its own.
    claim_id               uuid        NOT NULL,
    instance_id            text        NOT NULL,
    -- SENDING until the bank's answer is known; ACCEPTED (with the bank's resource id) or UNKNOWN. A payment the bank
    -- certainly does not have is deleted, so that it may be submitted again.
    state                  varchar(10) NOT NULL CHECK (state IN ('SENDING', 'ACCEPTED', 'UNKNOWN')),
    resource_id            text,
    claimed_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pisp_send_record_pk PRIMARY KEY (cdetab, payment_information_id)
)
-- Room on each page for the one update of each row (its state): a heap-only update, no index entry to write.
WITH (fillfactor = 80);

-- Retention deletes old rows in small batches. Rows arrive in claimed_at order, so a BRIN index (a few pages for
-- millions of rows, next to nothing to maintain per claim) finds them.
CREATE INDEX pisp_send_record_claimed_at ON pisp_send_record USING brin (claimed_at);

COMMENT ON TABLE pisp_send_record IS
    'bpce-pisp-routes: payments started towards a bank; a row means "do not send this payment again"';
