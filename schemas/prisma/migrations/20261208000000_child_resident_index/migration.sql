-- CreateIndex
CREATE INDEX "child_resident_id_idx" ON "child"("resident_id");
