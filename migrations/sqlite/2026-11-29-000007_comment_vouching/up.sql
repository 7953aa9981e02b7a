-- Trust is earned from an editor: a comment an editor or admin approved
-- vouches for its author's email, so their later comments need no
-- moderation. An author approving a comment on their own post publishes
-- it without vouching for the commenter elsewhere.
ALTER TABLE comments ADD COLUMN vouched BOOLEAN NOT NULL DEFAULT FALSE;
-- Who approved earlier comments is not recorded; they keep the trust they
-- gave, so no commenter loses it in the upgrade.
UPDATE comments SET vouched = TRUE WHERE status = 'approved';
