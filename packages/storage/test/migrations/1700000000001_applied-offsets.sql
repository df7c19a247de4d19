-- Up Migration
CREATE TABLE applied_offsets (consumer_group text, topic text, partition int, "offset" bigint, PRIMARY KEY (consumer_group, topic, partition));

-- Down Migration
DROP TABLE applied_offsets;
