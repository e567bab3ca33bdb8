/*
 * Vocabulary tables of the built-in scorer. Synonyms are chosen so that an ordinary
 * English word does not pass for a skill: "rest" alone is not REST, "react" must be
 * written "React", and "prompt" must come as "prompts" or "prompt design". Indonesian
 * and German forms are included where candidates commonly use them.
 */
#include "worker/scorer/lexicon.h"

const struct wk_area_def wk_areas[WK_AREA_COUNT] = {
    [WK_AREA_BACKEND] = {"backend languages and frameworks", 2},
    [WK_AREA_DATABASE] = {"databases", 2},
    [WK_AREA_API] = {"APIs", 2},
    [WK_AREA_CLOUD] = {"cloud and infrastructure", 2},
    [WK_AREA_AI] = {"AI and LLMs", 2},
    [WK_AREA_ASYNC] = {"queues and background jobs", 1},
    [WK_AREA_TESTING] = {"testing", 1},
    [WK_AREA_SECURITY] = {"security and authentication", 1},
    [WK_AREA_FRONTEND] = {"frontend", 1},
    [WK_AREA_TOOLING] = {"developer tooling", 1},
};

const struct wk_skill wk_skills[] = {
    /* backend languages and frameworks */
    {"Node.js", WK_AREA_BACKEND, "node.js|nodejs|node js|=Node"},
    {"Django", WK_AREA_BACKEND, "django"},
    {"Ruby on Rails", WK_AREA_BACKEND, "ruby on rails|=Rails|=RoR"},
    {"Ruby", WK_AREA_BACKEND, "ruby"},
    {"Python", WK_AREA_BACKEND, "python"},
    {"Java", WK_AREA_BACKEND, "java|j2ee|jee"},
    {"JavaScript", WK_AREA_BACKEND, "javascript|ecmascript|=JS"},
    {"TypeScript", WK_AREA_BACKEND, "typescript"},
    {"Go", WK_AREA_BACKEND, "=Go|golang"},
    {"PHP", WK_AREA_BACKEND, "php"},
    {".NET", WK_AREA_BACKEND, "=.NET|dotnet|asp.net|c#"},
    {"Kotlin", WK_AREA_BACKEND, "kotlin"},
    {"Scala", WK_AREA_BACKEND, "scala"},
    {"Rust", WK_AREA_BACKEND, "=Rust"},
    {"Elixir", WK_AREA_BACKEND, "elixir|phoenix framework"},
    {"C++", WK_AREA_BACKEND, "c++|cpp"},
    {"Spring", WK_AREA_BACKEND, "spring boot|spring framework|spring mvc"},
    {"Express", WK_AREA_BACKEND, "express.js|expressjs"},
    {"FastAPI", WK_AREA_BACKEND, "fastapi"},
    {"Flask", WK_AREA_BACKEND, "flask"},
    {"Laravel", WK_AREA_BACKEND, "laravel"},
    {"NestJS", WK_AREA_BACKEND, "nestjs|nest.js"},
    {"backend development", WK_AREA_BACKEND,
     "backend|back end|server side|server-side logic|web services"},

    /* databases */
    {"MySQL", WK_AREA_DATABASE, "mysql|mariadb"},
    {"PostgreSQL", WK_AREA_DATABASE, "postgresql|postgres|psql|pgsql|pgx"},
    {"MongoDB", WK_AREA_DATABASE, "mongodb|mongo|mongoose"},
    {"Redis", WK_AREA_DATABASE, "redis"},
    {"SQLite", WK_AREA_DATABASE, "sqlite"},
    {"SQL Server", WK_AREA_DATABASE, "sql server|mssql|t-sql"},
    {"Oracle Database", WK_AREA_DATABASE, "oracle database|oracle db|pl/sql"},
    {"Cassandra", WK_AREA_DATABASE, "cassandra"},
    {"DynamoDB", WK_AREA_DATABASE, "dynamodb"},
    {"Elasticsearch", WK_AREA_DATABASE, "elasticsearch|elastic search|opensearch"},
    {"data warehouses", WK_AREA_DATABASE, "redshift|bigquery|snowflake|data warehous*"},
    {"SQL", WK_AREA_DATABASE, "sql|nosql"},
    {"database design", WK_AREA_DATABASE,
     "database schema*|schema design|data model*|database design|database management"},
    {"caching", WK_AREA_DATABASE, "caching|memcached"},

    /* APIs */
    {"REST APIs", WK_AREA_API, "restful|rest api*|rest endpoint*|rest service*|=REST"},
    {"GraphQL", WK_AREA_API, "graphql"},
    {"gRPC", WK_AREA_API, "grpc|protobuf|protocol buffers"},
    {"APIs", WK_AREA_API, "api|apis|openapi|swagger|api gateway"},
    {"microservices", WK_AREA_API, "microservice*|micro services|micro-service*"},
    {"webhooks", WK_AREA_API, "webhook*|websocket*"},

    /* cloud and infrastructure */
    {"AWS", WK_AREA_CLOUD, "aws|amazon web services|ec2|=S3|amazon s3|aws lambda"},
    {"Google Cloud", WK_AREA_CLOUD, "google cloud|gcp|cloud run|gke|firebase"},
    {"Azure", WK_AREA_CLOUD, "azure"},
    {"Docker", WK_AREA_CLOUD, "docker*|containeriz*|containeris*|podman"},
    {"Kubernetes", WK_AREA_CLOUD, "kubernetes|k8s|helm|eks|aks|openshift"},
    {"Terraform", WK_AREA_CLOUD, "terraform|pulumi|cloudformation|ansible"},
    {"serverless", WK_AREA_CLOUD, "serverless|cloud functions"},
    {"Linux", WK_AREA_CLOUD, "linux|unix|ubuntu|debian"},
    {"CI/CD", WK_AREA_CLOUD,
     "ci/cd|ci cd|continuous integration|continuous delivery|continuous deployment|"
     "github actions|gitlab ci|jenkins|circleci"},
    {"Nginx", WK_AREA_CLOUD, "nginx|haproxy"},
    {"cloud", WK_AREA_CLOUD, "cloud based|cloud-based|cloud computing|cloud technolog*|"
                             "cloud platform*|cloud native|cloud-native"},
    {"observability", WK_AREA_CLOUD,
     "prometheus|grafana|opentelemetry|=OTEL|datadog|observability|new relic|sentry"},

    /* AI and LLMs */
    {"LLM APIs", WK_AREA_AI,
     "llm*|large language model*|openai|gpt*|chatgpt|gemini|claude|anthropic|openrouter|"
     "mistral|llama*|ollama|groq|deepseek"},
    {"embeddings", WK_AREA_AI, "embedding*"},
    {"vector databases", WK_AREA_AI,
     "vector database*|vector db*|vector store*|vector search|qdrant|chromadb|chroma|"
     "pgvector|pinecone|weaviate|milvus|faiss"},
    {"prompt design", WK_AREA_AI,
     "prompt engineering|prompt design|prompting|prompts|prompt template*|few shot|"
     "system prompt*"},
    {"RAG", WK_AREA_AI, "=RAG|retrieval augmented*"},
    {"LLM orchestration", WK_AREA_AI,
     "langchain|llamaindex|llama index|llm chain*|prompt chain*|chain orchestration|"
     "ai agent*|agentic"},
    {"machine learning", WK_AREA_AI,
     "machine learning|deep learning|tensorflow|pytorch|scikit*|keras|=ML|neural network*|"
     "artificial intelligence|nlp|natural language processing|computer vision|"
     "hugging face|huggingface|generative ai|genai|ai powered|ai-powered|ai features|"
     "ai integration|reinforcement learning"},

    /* queues and background jobs */
    {"message queues", WK_AREA_ASYNC,
     "kafka|rabbitmq|sqs|pub/sub|pubsub|nats|message queue*|message broker*|amqp|redpanda|"
     "queue|queues|queueing|queuing"},
    {"background jobs", WK_AREA_ASYNC,
     "background job*|background worker*|background process*|job queue*|task queue*|celery|"
     "sidekiq|bullmq|resque|asynq|async job*|worker pool*|cron job*|job orchestration"},
    {"asynchronous processing", WK_AREA_ASYNC,
     "asynchronous|async|event driven|non blocking|concurrency|goroutine*|streaming"},
    {"retries and backoff", WK_AREA_ASYNC,
     "retry|retries|exponential backoff|backoff|idempoten*|circuit breaker*"},

    /* testing */
    {"unit testing", WK_AREA_TESTING, "unit test*|unittest*|tests"},
    {"automated testing", WK_AREA_TESTING,
     "integration test*|end to end test*|e2e|functional test*|test automation|"
     "automated test*|qa automation|golden test*|automated testing platform*"},
    {"RSpec", WK_AREA_TESTING, "rspec"},
    {"test frameworks", WK_AREA_TESTING,
     "jest|pytest|junit|mocha|cypress|selenium|testify|testcontainers|vitest|phpunit|"
     "cmocka|playwright"},
    {"TDD", WK_AREA_TESTING, "tdd|test driven|bdd"},
    {"test coverage", WK_AREA_TESTING, "test coverage|code coverage"},

    /* security and authentication */
    {"authentication and authorization", WK_AREA_SECURITY,
     "authentication|authorization|authorisation|oauth*|jwt|=SSO|openid|rbac|"
     "access control|keycloak"},
    {"application security", WK_AREA_SECURITY,
     "security|owasp|encryption|penetration test*|vulnerabilit*|sql injection|xss|csrf|"
     "secure coding|sanitization"},

    /* frontend */
    {"React", WK_AREA_FRONTEND, "=React|react.js|reactjs|react native|next.js|nextjs"},
    {"Vue", WK_AREA_FRONTEND, "vue*|nuxt*"},
    {"Angular", WK_AREA_FRONTEND, "angular*"},
    {"HTML and CSS", WK_AREA_FRONTEND, "html*|css|tailwind|sass|scss|bootstrap"},
    {"frontend development", WK_AREA_FRONTEND, "frontend|front end"},

    /* developer tooling */
    {"Git", WK_AREA_TOOLING, "git|github|gitlab|bitbucket"},
    {"AI-assisted development", WK_AREA_TOOLING,
     "copilot|cursor ai|ai assisted|ai-assisted|code generation"},
};

const size_t wk_skill_count = sizeof(wk_skills) / sizeof(wk_skills[0]);

const struct wk_signal wk_collab_signals[] = {
    {"mentoring", "mentor*|coach*|trained|training new|onboard*|membimbing|bimbingan", 1},
    {"leadership", "led|leading|leader*|leadership|spearhead*|team lead|managed a team|"
                   "supervis*|memimpin|headed", 1},
    {"teamwork", "collaborat*|cross functional|crossfunctional|worked with|worked closely|"
                 "teamwork|team player|team of|kolaborasi|kerja sama|bekerja sama|"
                 "zusammenarbeit|coordinated with", 1},
    {"stakeholder work", "stakeholder*|clients|customers|product manager*|business teams|"
                         "end users|interacted with", 1},
    {"communication", "communicat*|presented|presentation*|public speaking|technical writing|"
                      "wrote documentation|documentation|blog*|talks|komunikasi", 1},
    {"code review", "code review*|pair programming|pull request*|peer review*|reviewed code", 1},
    {"learning mindset", "learn*|self taught|course*|certif*|bootcamp*|upskill*|curious|"
                         "belajar|eager to", 1},
    {"community work", "open source|volunteer*|hackathon*|meetup*|conference*|speaker|"
                       "teaching assistant|tutor*|contributor*|relawan", 1},
    {"agile practice", "agile|scrum|kanban|sprint*|retrospective*|standup*|stand up", 1},
};

const size_t wk_collab_signal_count = sizeof(wk_collab_signals) / sizeof(wk_collab_signals[0]);

const struct wk_signal wk_brief_concepts[] = {
    {"the upload, evaluate and result endpoints",
     "/upload*|/evaluate*|/result*|upload endpoint*|evaluate endpoint*|result endpoint*|"
     "endpoints", 1},
    {"asynchronous jobs", "async*|asynchronous|queue*|background|worker*|job id|job status|"
                          "polling|celery|sidekiq|bullmq|asynq|kafka|rabbitmq|long running", 1},
    {"retrieval (RAG)", "=RAG|retriev*|vector*|embedding*|qdrant|chroma*|pgvector|pinecone|"
                        "weaviate|faiss|similarity search|semantic search", 2},
    {"LLM chaining", "chain*|multi step|multi stage|multistage|two step|three step|"
                     "evaluation pipeline*|ai pipeline*|llm pipeline*|sequential|langchain|"
                     "stages|ai agent*|llm agent*|agents|multi agent|llm orchestration", 2},
    {"prompt design", "prompt*|few shot|system message*", 2},
    {"an LLM provider", "llm*|openai|gpt*|gemini|openrouter|groq|claude|anthropic|mistral|"
                        "ollama|language model*|deepseek|retrieval augmented generation|"
                        "generative ai|genai", 2},
    {"the result format", "cv match rate|project score|overall summary|cv feedback|"
                          "project feedback|json schema|structured output*|structured json|"
                          "structured result*|match rate", 1},
    {"document parsing", "pdf*|pars*|extract*", 1},
    {"scoring against the rubric", "rubric*|scoring|weighted|weights", 1},
    {"error handling", "retr*|backoff|timeout*|rate limit*|error handling|fallback*|"
                       "failure*", 1},
    {"output stability", "temperature|validat*|deterministic|seed", 1},
};

const size_t wk_brief_concept_count = sizeof(wk_brief_concepts) / sizeof(wk_brief_concepts[0]);

const struct wk_signal wk_quality_signals[] = {
    {"modular structure", "modul*|layer*|clean architecture|separation of concerns|"
                          "package*|folder structure|project structure|directory structure|"
                          "service layer|repository pattern|dependency injection|interfaces|"
                          "=MVC|hexagonal|struktur", 1},
    {"tests", "tests|testing|unit test*|test suite*|test case*|coverage|pengujian", 1},
    {"CI", "ci/cd|=CI|github actions|gitlab ci|continuous integration|jenkins|circleci", 1},
    {"linting and static checks", "lint*|eslint|golangci*|static analysis|prettier|"
                                  "code style|formatter|clang-tidy|type check*|mypy|"
                                  "typescript|type safety|type hints", 1},
    {"clean, reusable code", "reusable|clean code|=SOLID|=DRY|refactor*|maintainab*|"
                             "readab*|single responsibility", 1},
};

const size_t wk_quality_signal_count =
    sizeof(wk_quality_signals) / sizeof(wk_quality_signals[0]);

const char *const wk_test_kinds[] = {
    "unit test*|unittest*",
    "integration test*",
    "e2e|end to end|end-to-end",
    "test coverage|code coverage|coverage report*",
    "jest|pytest|junit|mocha|rspec|testify|testcontainers|vitest|phpunit|cmocka|go test|"
    "playwright|cypress",
    "mock*|fake*|stub*|fixture*",
    "load test*|benchmark*|stress test*",
};

const size_t wk_test_kind_count = sizeof(wk_test_kinds) / sizeof(wk_test_kinds[0]);

const struct wk_signal wk_resilience_signals[] = {
    {"retries", "retr*|re-try|coba ulang|percobaan ulang", 1},
    {"backoff", "backoff|back-off|exponential|jitter", 1},
    {"timeouts", "timeout*|time out|deadline*", 1},
    {"circuit breaker", "circuit breaker*|breaker", 1},
    {"rate limiting", "rate limit*|429|throttl*|quota*", 1},
    {"error handling and fallbacks", "error handling|handle error*|handles error*|fallback*|"
                                     "graceful*|degrad*|exception*|penanganan error|"
                                     "penanganan kesalahan", 1},
    {"idempotency and delivery guarantees", "idempoten*|dead letter|dlq|at least once|"
                                            "exactly once|dedup*|redeliver*", 1},
    {"LLM output validation", "temperature|schema validation|validat*|json schema|"
                              "deterministic|seed", 1},
    {"job recovery", "long running|job status|heartbeat*|crash*|recover*|persist*|"
                     "failed status|status failed", 1},
};

const size_t wk_resilience_signal_count =
    sizeof(wk_resilience_signals) / sizeof(wk_resilience_signals[0]);

const struct wk_signal wk_doc_signals[] = {
    {"a README", "readme", 1},
    {"setup instructions", "setup|set up|install*|getting started|how to run|quick start|"
                           "quickstart|docker compose|npm install|make run|instalasi|"
                           "cara menjalankan|run locally", 1},
    {"architecture", "architecture|diagram*|design decision*|design choice*|data flow|"
                     "arsitektur|flowchart", 1},
    {"trade-offs", "trade off*|tradeoff*|limitation*|alternative*|pros and cons|"
                   "known issue*|future work|improvement*|next steps|kekurangan|keterbatasan|"
                   "why we|why i", 1},
    {"API documentation", "openapi|swagger|postman|api documentation|api reference|curl", 1},
    {"configuration", "environment variable*|=.env|configuration|config*|konfigurasi", 1},
};

const size_t wk_doc_signal_count = sizeof(wk_doc_signals) / sizeof(wk_doc_signals[0]);

const struct wk_signal wk_extra_signals[] = {
    {"a dashboard or UI", "dashboard*|admin ui|admin panel|web ui|user interface|streamlit|"
                          "frontend|front end", 1},
    {"metrics and tracing", "prometheus|grafana|metrics|tracing|opentelemetry|=OTEL|"
                            "structured log*|monitoring|sentry", 1},
    {"caching", "cach*", 1},
    {"evaluation of results", "benchmark*|golden|ground truth|a/b test*|accuracy|precision|"
                              "recall|evaluation set", 1},
    {"deployment", "deploy*|kubernetes|k8s|helm|dockerfile|cloud run|heroku|vercel|railway|"
                   "ec2|terraform|docker compose", 1},
    {"authentication", "authenticat*|jwt|oauth*|api key*", 1},
    {"input sanitisation", "sanitiz*|sanitis*|prompt injection|xss|content type sniff*|"
                           "magic bytes", 1},
    {"provider fallback", "fallback provider*|multiple providers|provider fallback|"
                          "model fallback|multi provider|multi-provider", 1},
    {"notifications", "webhook*|websocket*|server sent|notification*", 1},
    {"multilingual support", "multilingual|multi language|multi-language|i18n", 1},
};

const size_t wk_extra_signal_count = sizeof(wk_extra_signals) / sizeof(wk_extra_signals[0]);

const char wk_senior_terms[] =
    "senior engineer|senior software|senior developer|senior backend|senior full*|"
    "senior data|senior web|senior devops|lead engineer|lead developer|tech lead|team lead|"
    "technical lead|lead backend|principal|staff engineer|staff software|architect|head of|"
    "engineering manager|=CTO|vp of engineering|director of engineering";

const char wk_student_terms[] =
    "expected jan*|expected feb*|expected mar*|expected apr*|expected may|expected jun*|"
    "expected jul*|expected aug*|expected sep*|expected oct*|expected nov*|expected dec*|"
    "expected 19*|expected 20*|expected graduation|expected to graduate|graduating|"
    "anticipated graduation|current student|currently pursuing|currently studying|"
    "undergraduate student|engineering student|seeking full time|seeking an internship|"
    "seeking internship|fresh graduate|mahasiswa aktif|sedang menempuh|siswa|=PKL|"
    "\xe5\x9c\xa8\xe8\xaf\xbb|\xe5\xae\x9e\xe4\xb9\xa0\xe7\x94\x9f";

const char wk_impact_terms[] =
    "improved|improving|improvement*|increased|increasing|reduced|reducing|reduction|"
    "decreased|cut|cutting|grew|grown|growing|boosted|accelerated|optimized|optimised|"
    "optimizing|optimization|scaled|scaling|saved|saving|achieved|achieving|delivered|"
    "delivering|launched|built|served|serving|handled|handling|processed|migrated|automated|"
    "shipped|generated|raised|lowered|sped|doubled|tripled|won|drove|enabled|resulting|"
    "meningkatkan|mengurangi|mempercepat|menghemat";

const char wk_metric_unit_terms[] =
    "users|customers|clients|requests|req/s|rps|qps|tps|transactions|orders|downloads|"
    "installs|visitors|students|ms|milliseconds|seconds|minutes|hours|gb|tb|services|"
    "countries|million|millions|billion|k|m|pengguna|pelanggan";

const char wk_present_terms[] =
    "present|current|currently|now|today|ongoing|to date|till date|sekarang|saat ini|kini|"
    "heute|aktuell|aujourd'hui|actuel|presente|actualidad";

const char wk_age_terms[] = "old|of age|tahun usia|alt";
