-- Runs once, when the Compose stack's PostgreSQL volume is first initialised.
-- Each domain service also creates its own database when it is missing; creating them
-- here too keeps a service's first start from racing the other on CREATE DATABASE.
CREATE DATABASE inventory;
CREATE DATABASE orders;
