-- A deal database written by dealcoach's store at commit f933c6c
-- (tests/core/data/make_deals_f933c6c.py). Do not edit by hand.
BEGIN TRANSACTION;
CREATE TABLE "advice_log" (
   "id" INTEGER PRIMARY KEY,
   "deal_id" INTEGER REFERENCES "deals"("id"),
   "review_id" INTEGER,
   "rule_id" TEXT,
   "rank" INTEGER,
   "given_at" TEXT
);
INSERT INTO "advice_log" VALUES(1,1,1,'find_the_decider',1,'2026-12-02T03:28:57+00:00');
INSERT INTO "advice_log" VALUES(2,1,1,'map_the_centre',2,'2026-12-02T03:28:57+00:00');
INSERT INTO "advice_log" VALUES(3,1,1,'meet_cto',3,'2026-12-02T03:28:57+00:00');
INSERT INTO "advice_log" VALUES(4,3,3,'multithread',1,'2026-12-02T03:28:57+00:00');
CREATE TABLE "deals" (
   "id" INTEGER PRIMARY KEY,
   "owner" TEXT NOT NULL,
   "company" TEXT NOT NULL,
   "company_key" TEXT NOT NULL,
   "sector" TEXT,
   "employees" INTEGER,
   "company_size" TEXT,
   "purchase_situation" TEXT,
   "supplier_position" TEXT,
   "buying_stage" TEXT,
   "perceived_risk" TEXT,
   "unknown" TEXT,
   "asking" TEXT,
   "asked" INTEGER,
   "deferred" TEXT,
   "status" TEXT NOT NULL,
   "created_at" TEXT,
   "updated_at" TEXT
);
INSERT INTO "deals" VALUES(1,'rest:anna','Nordstahl','nordstahl','steel_metals',2000,'large','modified_rebuy',NULL,NULL,NULL,'["perceived_risk"]','role:influencer',2,'["buying_stage"]','open','2026-12-02T03:28:56+00:00','2026-12-02T03:28:56+00:00');
INSERT INTO "deals" VALUES(2,'rest:anna','Globex Ünited','globex ünited',NULL,NULL,NULL,NULL,NULL,'negotiation',NULL,'[]',NULL,0,'[]','paused','2026-12-02T03:28:57+00:00','2026-12-02T03:28:57+00:00');
INSERT INTO "deals" VALUES(3,'slack:T1:U2','Acme','acme','robotics',NULL,NULL,NULL,NULL,NULL,NULL,'[]',NULL,0,'[]','open','2026-12-02T03:28:57+00:00','2026-12-02T03:28:57+00:00');
CREATE TABLE "fact_log" (
   "id" INTEGER PRIMARY KEY,
   "deal_id" INTEGER REFERENCES "deals"("id"),
   "field" TEXT,
   "old" TEXT,
   "new" TEXT,
   "changed_at" TEXT
);
INSERT INTO "fact_log" VALUES(1,1,'sector',NULL,'steel_metals','2026-12-02T03:28:56+00:00');
INSERT INTO "fact_log" VALUES(2,1,'employees',NULL,'2000','2026-12-02T03:28:56+00:00');
INSERT INTO "fact_log" VALUES(3,1,'company_size',NULL,'large','2026-12-02T03:28:56+00:00');
INSERT INTO "fact_log" VALUES(4,1,'purchase_situation',NULL,'new_task','2026-12-02T03:28:56+00:00');
INSERT INTO "fact_log" VALUES(5,1,'purchase_situation','new_task','modified_rebuy','2026-12-02T03:28:56+00:00');
INSERT INTO "fact_log" VALUES(6,2,'buying_stage',NULL,'negotiation','2026-12-02T03:28:57+00:00');
INSERT INTO "fact_log" VALUES(7,3,'sector',NULL,'robotics','2026-12-02T03:28:57+00:00');
CREATE TABLE "quiz_answers" (
   "id" INTEGER PRIMARY KEY,
   "run_id" INTEGER REFERENCES "quiz_runs"("id"),
   "question_id" TEXT,
   "topic" TEXT,
   "correct" INTEGER,
   "answered_at" TEXT
);
INSERT INTO "quiz_answers" VALUES(1,1,'q1','buying_centre',1,'2026-12-02T03:28:57+00:00');
INSERT INTO "quiz_answers" VALUES(2,1,'q2','buying_centre',0,'2026-12-02T03:28:57+00:00');
INSERT INTO "quiz_answers" VALUES(3,2,'q3','purchase_situation',1,'2026-12-02T03:28:57+00:00');
CREATE TABLE "quiz_runs" (
   "id" INTEGER PRIMARY KEY,
   "owner" TEXT NOT NULL,
   "topic" TEXT,
   "question_ids" TEXT NOT NULL,
   "position" INTEGER,
   "score" INTEGER,
   "started_at" TEXT,
   "finished_at" TEXT
);
INSERT INTO "quiz_runs" VALUES(1,'rest:anna','buying_centre','["q1", "q2"]',2,1,'2026-12-02T03:28:57+00:00','2026-12-02T03:28:57+00:00');
INSERT INTO "quiz_runs" VALUES(2,'slack:T1:U2',NULL,'["q3", "q4", "q5"]',1,1,'2026-12-02T03:28:57+00:00',NULL);
CREATE TABLE "reviews" (
   "id" INTEGER PRIMARY KEY,
   "deal_id" INTEGER REFERENCES "deals"("id"),
   "started_at" TEXT,
   "ended_at" TEXT,
   "outcome" TEXT
);
INSERT INTO "reviews" VALUES(1,1,'2026-12-02T03:28:56+00:00','2026-12-02T03:28:57+00:00','complete');
INSERT INTO "reviews" VALUES(2,1,'2026-12-02T03:28:57+00:00',NULL,NULL);
INSERT INTO "reviews" VALUES(3,3,'2026-12-02T03:28:57+00:00',NULL,NULL);
CREATE TABLE "salespeople" (
   "owner" TEXT PRIMARY KEY,
   "active_deal_id" INTEGER,
   "updated_at" TEXT
);
INSERT INTO "salespeople" VALUES('rest:anna',1,'2026-12-02T03:28:57+00:00');
INSERT INTO "salespeople" VALUES('slack:T1:U2',NULL,'2026-12-02T03:28:57+00:00');
CREATE TABLE "stakeholders" (
   "id" INTEGER PRIMARY KEY,
   "deal_id" INTEGER NOT NULL REFERENCES "deals"("id"),
   "position" INTEGER,
   "name" TEXT NOT NULL,
   "name_key" TEXT NOT NULL,
   "title" TEXT,
   "roles" TEXT,
   "assumed_roles" TEXT,
   "stance" TEXT,
   "met" INTEGER,
   "named" INTEGER
);
INSERT INTO "stakeholders" VALUES(1,1,0,'Petra Lang','petra lang','cfo','["decider"]','["decider"]','unknown',NULL,1);
INSERT INTO "stakeholders" VALUES(2,1,1,'Jan Nowak','jan nowak',NULL,'["buyer"]','[]','champion',1,1);
INSERT INTO "stakeholders" VALUES(3,1,2,'CTO','cto',NULL,'["prescriber"]','[]','unknown',NULL,0);
INSERT INTO "stakeholders" VALUES(4,2,0,'Ana','ana',NULL,'["user"]','[]','unknown',0,1);
CREATE UNIQUE INDEX deals_owner_company ON deals (owner, company_key);
CREATE UNIQUE INDEX stakeholders_deal_name ON stakeholders (deal_id, name_key);
COMMIT;
