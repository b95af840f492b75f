-- Issue 15 (CD profile): the release's UPC/EAN, read from the BARCODE tag
-- (or a 13-digit CATALOG tag), which a CD's CATALOG carries. Rows read
-- before this step have none until the file is read again.
ALTER TABLE tracks ADD COLUMN catalog TEXT;
