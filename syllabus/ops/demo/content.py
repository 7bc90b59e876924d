"""What the demo set contains: people, categories, tags and twelve courses with their
modules, lessons, cohorts and announcements. Plain data; ``loader`` turns it into rows.

Text lessons are written as an introduction, key points, an optional code example and
an optional link, and assembled into Markdown by ``text_lesson_markdown``. Each course
has one video lesson (the shared welcome video, with captions and a transcript) and one
file lesson (a PDF summary of its module, generated at load time).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A published password: demo accounts are for trying Syllabus out, never for real data.
DEMO_PASSWORD = "Learn-with-Syllabus-2026"  # noqa: S105  # nosec B105  # published on purpose

DEMO_USERS: tuple[tuple[str, str, str | None, bool], ...] = (
    # email, full name, site role, superuser
    ("admin@example.com", "Ada Admin", "admin", True),
    ("manager@example.com", "Manon Manager", "manager", False),
    ("auditor@example.com", "Aurelio Auditor", "auditor", False),
    ("compliance@example.com", "Constance Compliance", "compliance_officer", False),
    ("security@example.com", "Sekou Security", "security_officer", False),
    ("instructor@example.com", "Ines Instructor", None, False),
    ("ta@example.com", "Tariq Assistant", None, False),
    ("learner@example.com", "Lena Learner", None, False),
)

# More people, so courses have colleagues to teach with and classmates to learn with.
# Same password; not printed one by one.
DEMO_PEOPLE: tuple[tuple[str, str], ...] = (
    ("priya.natarajan@example.com", "Priya Natarajan"),  # instructor
    ("marcus.byrne@example.com", "Marcus Byrne"),  # instructor
    ("amara.okafor@example.com", "Amara Okafor"),
    ("jonas.lindqvist@example.com", "Jonas Lindqvist"),
    ("sofia.ferreira@example.com", "Sofia Ferreira"),
    ("kenji.watanabe@example.com", "Kenji Watanabe"),
    ("chloe.martin@example.com", "Chloé Martin"),
    ("david.cohen@example.com", "David Cohen"),
    ("fatima.haddad@example.com", "Fatima Haddad"),
    ("liam.oconnor@example.com", "Liam O'Connor"),
    ("mei.chen@example.com", "Mei Chen"),
    ("noah.schmidt@example.com", "Noah Schmidt"),
)
DEMO_CLASSMATES: tuple[str, ...] = tuple(email for email, _ in DEMO_PEOPLE[2:])

INSTRUCTOR = "instructor@example.com"
PRIYA = "priya.natarajan@example.com"
MARCUS = "marcus.byrne@example.com"
TA = "ta@example.com"
LEARNER = "learner@example.com"

CATEGORIES: tuple[tuple[str, str, str], ...] = (
    # slug, name, description
    (
        "data-and-analytics",
        "Data and analytics",
        "Work with data confidently: spreadsheets, SQL, Python and honest charts.",
    ),
    (
        "teaching-and-learning",
        "Teaching and learning",
        "Design courses, questions and feedback that help people learn.",
    ),
    (
        "safety-and-compliance",
        "Safety and compliance",
        "Protect people and information: data protection, security and safety at work.",
    ),
)


@dataclass(frozen=True)
class Text:
    title: str
    intro: str
    points: tuple[str, ...]
    code: tuple[str, str] | None = None  # (language, source)
    link: tuple[str, str] | None = None  # (label, https URL)
    minutes: int = 10
    kind: str = "text"


@dataclass(frozen=True)
class Video:
    title: str
    intro: str
    minutes: int = 5
    kind: str = "video"


@dataclass(frozen=True)
class File:
    title: str
    intro: str
    minutes: int = 5
    kind: str = "file"


Lesson = Text | Video | File


@dataclass(frozen=True)
class Module:
    title: str
    summary: str
    lessons: tuple[Lesson, ...]


@dataclass(frozen=True)
class Course:
    slug: str
    title: str
    summary: str
    description: str
    category: str
    tags: tuple[str, ...]
    level: str
    hours: str
    instructor: str
    modules: tuple[Module, ...]
    announcements: tuple[tuple[str, str], ...]
    prerequisites: tuple[str, ...] = ()
    teaching_assistant: str | None = None
    enrolment: str = "open"
    enrolment_key: str = ""
    capacity: int | None = None
    cohorts: tuple[str, ...] = ()
    # Lessons that open only after the one before them is complete (course-wide order).
    chained_lessons: bool = False
    # Days from loading to the due date of the course's first lessons; empty for none.
    due_in_days: tuple[int, ...] = ()
    learners: tuple[tuple[str, float], ...] = field(default=())  # email, share completed


def text_lesson_markdown(lesson: Text) -> str:
    parts = [lesson.intro, "", "## Key points", ""]
    parts.extend(f"- {point}" for point in lesson.points)
    if lesson.code is not None:
        language, source = lesson.code
        parts.extend(["", "## Example", "", f"```{language}", source.strip("\n"), "```"])
    if lesson.link is not None:
        label, url = lesson.link
        parts.extend(["", "## Further reading", "", f"- [{label}]({url})"])
    return "\n".join(parts) + "\n"


WELCOME = Video(
    "How this course works",
    "A short tour of Syllabus: modules, the three kinds of lessons, and how your "
    "progress is kept. Captions are on by default; the transcript is below the video.",
    minutes=1,
)

COURSES: tuple[Course, ...] = (
    # -- Data and analytics --------------------------------------------------------------
    Course(
        slug="spreadsheets-to-dashboards",
        title="Spreadsheets to Dashboards",
        summary="Turn a messy spreadsheet into a tidy table and a one-page dashboard.",
        description=(
            "Most reports start life in a spreadsheet. This course shows how to clean one up, "
            "summarise it with pivot tables and present it as a dashboard people actually "
            "read.\n\n## You will learn to\n\n- structure data as a tidy table\n- summarise "
            "with pivot tables and lookups\n- choose the right chart for each question\n\n"
            "No experience needed beyond opening a spreadsheet."
        ),
        category="data-and-analytics",
        tags=("spreadsheets", "reporting"),
        level="beginner",
        hours="4",
        instructor=PRIYA,
        teaching_assistant=TA,
        modules=(
            Module(
                "Tidy data",
                "One row per observation, one column per variable.",
                (
                    WELCOME,
                    Text(
                        "What makes a table tidy",
                        "A tidy table can be sorted, filtered and summarised without "
                        "rework. Most spreadsheet trouble comes from tables that are not.",
                        (
                            "Each row is one observation: one sale, one visit, one learner.",
                            "Each column holds one kind of value with one unit.",
                            "Merged cells, subtotals and colours carry no data: remove them.",
                        ),
                    ),
                    Text(
                        "Cleaning text and dates",
                        "Imported data arrives with stray spaces, mixed case and dates "
                        "stored as text. A few formulas fix most of it.",
                        (
                            "`TRIM` removes extra spaces; `PROPER` fixes capitalisation.",
                            "`DATEVALUE` turns text like 2026-03-01 into a real date.",
                            "Keep the raw data on its own sheet and clean in a copy.",
                        ),
                        code=("text", "=TRIM(PROPER(A2))\n=DATEVALUE(B2)"),
                    ),
                ),
            ),
            Module(
                "Summaries",
                "Pivot tables and lookups.",
                (
                    Text(
                        "Pivot tables in five minutes",
                        "A pivot table groups rows and totals them, without a single formula.",
                        (
                            "Put the category you compare in Rows.",
                            "Put the number you total in Values, and check it says Sum.",
                            "Filters answer 'only this year' without deleting anything.",
                        ),
                    ),
                    Text(
                        "Looking values up",
                        "`XLOOKUP` finds a value in one table and returns a matching value "
                        "from another, such as a region for each shop.",
                        (
                            "Look up by a unique key, never by a name that may repeat.",
                            "Say what to return when nothing matches.",
                            "Prefer `XLOOKUP` to `VLOOKUP`: columns can move safely.",
                        ),
                        code=("text", '=XLOOKUP(A2, Shops!A:A, Shops!C:C, "unknown")'),
                    ),
                    File("Module summary (PDF)", "The key points of this module on one page."),
                ),
            ),
            Module(
                "Dashboards",
                "One page, one purpose.",
                (
                    Text(
                        "Choosing a chart",
                        "Start from the question, not the chart type.",
                        (
                            "Comparing categories: a bar chart, sorted.",
                            "Change over time: a line chart.",
                            "Parts of a whole with two or three parts: a stacked bar.",
                        ),
                        link=(
                            "Government Analysis Function: data visualisation guidance",
                            "https://analysisfunction.civilservice.gov.uk/policy-store/data-visualisation-charts/",
                        ),
                    ),
                    Text(
                        "Laying out a dashboard",
                        "A dashboard answers a few questions at a glance.",
                        (
                            "Put the most important number top left.",
                            "Label every chart with the question it answers.",
                            "Never rely on colour alone: add labels or patterns.",
                        ),
                    ),
                ),
            ),
        ),
        announcements=(
            (
                "Welcome!",
                "Welcome to **Spreadsheets to Dashboards**. Start with *How this course "
                "works*, then the first module. Questions are welcome at any time.",
            ),
        ),
        due_in_days=(3, 7),
        learners=(
            (LEARNER, 1.0),
            ("amara.okafor@example.com", 0.6),
            ("jonas.lindqvist@example.com", 0.3),
            ("kenji.watanabe@example.com", 1.0),
            ("mei.chen@example.com", 0.0),
        ),
    ),
    Course(
        slug="sql-fundamentals",
        title="SQL Fundamentals",
        summary="Ask questions of a database: select, filter, join and group with SQL.",
        description=(
            "SQL is how you talk to nearly every database. In this course you write real "
            "queries against a small shop database, from a first `SELECT` to joins and "
            "grouped summaries.\n\n## You will learn to\n\n- select and filter rows\n- join "
            "tables on their keys\n- group and aggregate\n\nThe examples work in SQLite and "
            "PostgreSQL."
        ),
        category="data-and-analytics",
        tags=("sql", "databases"),
        level="beginner",
        hours="6",
        instructor=PRIYA,
        chained_lessons=True,
        modules=(
            Module(
                "First queries",
                "SELECT, WHERE and ORDER BY.",
                (
                    WELCOME,
                    Text(
                        "Selecting columns",
                        "Every query starts by saying which columns you want and from which table.",
                        (
                            "Name the columns you need instead of `SELECT *`.",
                            "Rename a column in the result with `AS`.",
                            "SQL keywords are not case-sensitive; names may be.",
                        ),
                        code=("sql", "SELECT name, price AS price_eur\nFROM products;"),
                    ),
                    Text(
                        "Filtering and sorting",
                        "`WHERE` keeps the rows you want; `ORDER BY` puts them in order.",
                        (
                            "Combine conditions with `AND` and `OR`, using brackets.",
                            "`NULL` is never equal to anything: use `IS NULL`.",
                            "Sort by several columns: `ORDER BY country, price DESC`.",
                        ),
                        code=(
                            "sql",
                            "SELECT name, price\nFROM products\nWHERE price < 20 AND "
                            "discontinued IS NULL\nORDER BY price DESC;",
                        ),
                    ),
                ),
            ),
            Module(
                "Joins",
                "Combining tables on their keys.",
                (
                    Text(
                        "Inner joins",
                        "A join matches rows of two tables on a key, such as each order's "
                        "customer id.",
                        (
                            "Join on keys, and say which table each column comes from.",
                            "An inner join drops rows without a match.",
                            "Short table aliases keep long queries readable.",
                        ),
                        code=(
                            "sql",
                            "SELECT o.id, c.name\nFROM orders AS o\n"
                            "JOIN customers AS c ON c.id = o.customer_id;",
                        ),
                    ),
                    Text(
                        "Outer joins",
                        "A left join keeps every row of the first table, matched or not.",
                        (
                            "Customers without orders appear with `NULL` order columns.",
                            "Filter the right table in `ON`, not `WHERE`, to keep them.",
                            "Count matches with `COUNT(o.id)`, not `COUNT(*)`.",
                        ),
                    ),
                    File("Module summary (PDF)", "Joins at a glance, to print or keep."),
                ),
            ),
            Module(
                "Summaries",
                "GROUP BY and aggregates.",
                (
                    Text(
                        "Grouping rows",
                        "`GROUP BY` turns many rows into one per group, with totals.",
                        (
                            "Every selected column is grouped or aggregated.",
                            "`HAVING` filters groups; `WHERE` filters rows first.",
                            "`COUNT`, `SUM`, `AVG`, `MIN` and `MAX` cover most needs.",
                        ),
                        code=(
                            "sql",
                            "SELECT country, COUNT(*) AS customers\nFROM customers\n"
                            "GROUP BY country\nHAVING COUNT(*) >= 10\nORDER BY customers "
                            "DESC;",
                        ),
                        link=(
                            "PostgreSQL tutorial: aggregates",
                            "https://www.postgresql.org/docs/current/tutorial-agg.html",
                        ),
                    ),
                    Text(
                        "Putting it together",
                        "A real question usually needs a join, a filter and a group.",
                        (
                            "Write the query in steps and run each step.",
                            "Check totals against a number you already know.",
                            "Save useful queries with a comment saying what they answer.",
                        ),
                    ),
                ),
            ),
        ),
        announcements=(
            (
                "Practice database",
                "Each lesson opens once the one before it is complete. The module "
                "summaries are printable PDFs: keep them next to you while you practise.",
            ),
            (
                "Office hours",
                "I hold office hours on **Thursdays at 16:00**: bring your queries.",
            ),
        ),
        cohorts=("Spring cohort", "Autumn cohort"),
        learners=(
            (LEARNER, 0.5),
            ("amara.okafor@example.com", 1.0),
            ("sofia.ferreira@example.com", 0.8),
            ("david.cohen@example.com", 0.2),
            ("fatima.haddad@example.com", 0.0),
            ("liam.oconnor@example.com", 1.0),
            ("noah.schmidt@example.com", 1.0),
        ),
    ),
    Course(
        slug="python-for-data-analysis",
        title="Python for Data Analysis",
        summary="Load, clean and summarise data with Python and pandas.",
        description=(
            "When a spreadsheet gets slow or a task repeats every week, Python helps. This "
            "course introduces pandas for loading, cleaning and summarising data, with "
            "short exercises you can run in a notebook.\n\n## Who it is for\n\nAnalysts "
            "who already think in tables, filters, joins and groups, and want to automate "
            "the work they repeat."
        ),
        category="data-and-analytics",
        tags=("python", "pandas"),
        level="intermediate",
        hours="10",
        instructor=PRIYA,
        prerequisites=("sql-fundamentals",),
        modules=(
            Module(
                "Getting started",
                "Notebooks and data frames.",
                (
                    WELCOME,
                    Text(
                        "Your first data frame",
                        "A data frame is a table in Python: named columns, one type each.",
                        (
                            "`pd.read_csv` loads a file; `head()` shows the first rows.",
                            "`df.dtypes` shows each column's type: check dates and numbers.",
                            "`df.describe()` gives a quick summary of numeric columns.",
                        ),
                        code=(
                            "python",
                            'import pandas as pd\n\nsales = pd.read_csv("sales.csv", '
                            'parse_dates=["date"])\nprint(sales.head())',
                        ),
                        link=(
                            "pandas: 10 minutes to pandas",
                            "https://pandas.pydata.org/docs/user_guide/10min.html",
                        ),
                    ),
                ),
            ),
            Module(
                "Cleaning",
                "Missing values, types and duplicates.",
                (
                    Text(
                        "Missing values",
                        "Missing values are normal; deciding what they mean is your job.",
                        (
                            "`isna().sum()` counts missing values per column.",
                            "Drop rows only when the value cannot be recovered.",
                            "Fill with a default only when the default is true.",
                        ),
                        code=(
                            "python",
                            "sales.isna().sum()\nsales = sales.dropna(subset=['amount'])",
                        ),
                    ),
                    Text(
                        "Duplicates and types",
                        "Duplicated rows inflate totals; wrong types break sorting.",
                        (
                            "`drop_duplicates` on the columns that identify a row.",
                            "`astype` and `pd.to_numeric(errors='coerce')` fix types.",
                            "Check the row count before and after each step.",
                        ),
                    ),
                    File("Module summary (PDF)", "Cleaning steps as a checklist."),
                ),
            ),
            Module(
                "Summaries",
                "Group, pivot and export.",
                (
                    Text(
                        "Grouping with pandas",
                        "`groupby` is SQL's `GROUP BY` in Python.",
                        (
                            "Group by one or more columns, then aggregate.",
                            "`agg` computes several summaries at once.",
                            "`reset_index()` turns the result back into a plain table.",
                        ),
                        code=(
                            "python",
                            'summary = (\n    sales.groupby("region")["amount"]\n    '
                            '.agg(["count", "sum", "mean"])\n    .reset_index()\n)',
                        ),
                    ),
                    Text(
                        "Sharing results",
                        "A result is only useful once someone else can read it.",
                        (
                            "`to_csv(index=False)` for other tools.",
                            "Round numbers for people, not for further computation.",
                            "Keep the notebook so the result can be reproduced.",
                        ),
                    ),
                ),
            ),
        ),
        announcements=(
            (
                "Notebook set-up",
                "Any recent Python with `pandas` installed works. If you cannot install "
                "software at work, ask us about the hosted notebooks.",
            ),
        ),
        due_in_days=(5,),
        learners=(
            ("amara.okafor@example.com", 0.4),
            ("liam.oconnor@example.com", 1.0),
            ("noah.schmidt@example.com", 0.1),
        ),
    ),
    Course(
        slug="data-visualisation-that-tells-the-truth",
        title="Data Visualisation That Tells the Truth",
        summary="Charts that inform rather than mislead: scales, colour and honest design.",
        description=(
            "A chart can make a small change look dramatic or hide a large one. This course "
            "covers the choices behind honest charts: axes, scales, colour and annotation, "
            "with examples in Python.\n\n## You will learn to\n\n- spot misleading charts\n"
            "- choose scales and baselines\n- use colour accessibly\n"
        ),
        category="data-and-analytics",
        tags=("python", "visualisation", "accessibility"),
        level="advanced",
        hours="5",
        instructor=PRIYA,
        prerequisites=("python-for-data-analysis",),
        enrolment="key",
        enrolment_key="honest-charts",
        modules=(
            Module(
                "Honest axes",
                "Baselines and scales.",
                (
                    WELCOME,
                    Text(
                        "Start bars at zero",
                        "A bar's length is its value: cut the axis and you change the story.",
                        (
                            "Bar charts start at zero, always.",
                            "Line charts may zoom in, if the axis says so clearly.",
                            "Use a log scale for growth rates, and label it.",
                        ),
                        code=(
                            "python",
                            "import matplotlib.pyplot as plt\n\nfig, ax = plt.subplots()\n"
                            "ax.bar(regions, totals)\nax.set_ylim(bottom=0)",
                        ),
                    ),
                    Text(
                        "Comparing like with like",
                        "Totals mislead when groups differ in size.",
                        (
                            "Compare rates per person, not raw counts.",
                            "Use the same scale on charts shown side by side.",
                            "Show uncertainty when samples are small.",
                        ),
                    ),
                ),
            ),
            Module(
                "Colour and words",
                "Accessible colour and annotations.",
                (
                    Text(
                        "Colour for everyone",
                        "About one man in twelve has a colour vision deficiency.",
                        (
                            "Use a colour-blind-safe palette such as viridis.",
                            "Never rely on colour alone: label lines directly.",
                            "Check contrast against the background.",
                        ),
                        link=(
                            "WCAG 2.2: use of colour",
                            "https://www.w3.org/WAI/WCAG22/Understanding/use-of-color.html",
                        ),
                    ),
                    File("Module summary (PDF)", "A checklist to run before you publish a chart."),
                ),
            ),
        ),
        announcements=(
            (
                "Enrolment key",
                "This course uses an enrolment key; ask your team lead for it.",
            ),
        ),
        learners=(("liam.oconnor@example.com", 0.5),),
    ),
    # -- Teaching and learning -----------------------------------------------------------
    Course(
        slug="teaching-online",
        title="Teaching Online",
        summary="Designing lessons, quizzes and feedback for learners you rarely meet.",
        description=(
            "Teaching online is not a lecture in front of a camera. This course shows how to "
            "plan short lessons, keep learners active and give feedback at a distance.\n\n"
            "## You will learn to\n\n- plan a course in modules with clear outcomes\n- mix "
            "reading, video and activities\n- keep a remote group engaged\n"
        ),
        category="teaching-and-learning",
        tags=("online-learning", "course-design"),
        level="intermediate",
        hours="6",
        instructor=MARCUS,
        teaching_assistant=TA,
        cohorts=("Monday group", "Thursday group"),
        modules=(
            Module(
                "Planning",
                "Outcomes before content.",
                (
                    WELCOME,
                    Text(
                        "Writing learning outcomes",
                        "An outcome says what a learner can do after the course, in words "
                        "you could test.",
                        (
                            "Start with a verb you can observe: explain, compare, build.",
                            "Three to five outcomes per course are plenty.",
                            "Every lesson should serve at least one outcome.",
                        ),
                    ),
                    Text(
                        "Chunking content",
                        "Online attention is short: plan lessons of 5 to 15 minutes.",
                        (
                            "One idea per lesson.",
                            "End each lesson with something to do.",
                            "Group lessons into modules of about an hour.",
                        ),
                    ),
                ),
            ),
            Module(
                "Engagement",
                "Keeping people active.",
                (
                    Text(
                        "Activities that work remotely",
                        "Learners remember what they do more than what they watch.",
                        (
                            "Short quizzes after each video check understanding.",
                            "Discussion prompts work best with a concrete question.",
                            "Small group tasks keep quieter learners involved.",
                        ),
                    ),
                    Text(
                        "Video without tears",
                        "Good video is short, captioned and has a transcript.",
                        (
                            "Keep videos under six minutes.",
                            "Caption every video: it helps everyone, not only deaf learners.",
                            "Show your face at the start, then the material.",
                        ),
                        link=(
                            "W3C: making audio and video media accessible",
                            "https://www.w3.org/WAI/media/av/",
                        ),
                    ),
                    File("Module summary (PDF)", "Activity ideas to print and pin up."),
                ),
            ),
        ),
        announcements=(
            (
                "Live session this week",
                "Our live session is on **Wednesday at 10:00**. The link is in your "
                "calendar invitation.",
            ),
            (
                "Cohorts",
                "You have been placed in the Monday or Thursday group; you can see yours on "
                "the course page.",
            ),
        ),
        due_in_days=(2, 9),
        learners=(
            (INSTRUCTOR, 0.6),
            (LEARNER, 0.3),
            ("chloe.martin@example.com", 1.0),
            ("david.cohen@example.com", 0.5),
            ("fatima.haddad@example.com", 1.0),
            ("mei.chen@example.com", 0.1),
            ("noah.schmidt@example.com", 0.0),
        ),
    ),
    Course(
        slug="writing-good-quiz-questions",
        title="Writing Good Quiz Questions",
        summary="Multiple-choice and short-answer questions that test understanding.",
        description=(
            "A good question tells you what a learner understands; a bad one tells you who "
            "reads questions carefully. Learn to write stems, options and feedback that "
            "work.\n\n## You will learn to\n\n- write clear question stems\n- write "
            "plausible wrong answers\n- give feedback that teaches\n"
        ),
        category="teaching-and-learning",
        tags=("assessment", "course-design"),
        level="beginner",
        hours="3",
        instructor=MARCUS,
        modules=(
            Module(
                "Questions",
                "Stems and options.",
                (
                    WELCOME,
                    Text(
                        "The question stem",
                        "The stem is the question itself: learners should be able to answer "
                        "it before reading the options.",
                        (
                            "Ask one thing per question.",
                            "Avoid negatives such as 'which is NOT'.",
                            "Put shared words in the stem, not in every option.",
                        ),
                    ),
                    Text(
                        "Plausible distractors",
                        "Wrong options should be answers someone might really give.",
                        (
                            "Base distractors on common mistakes.",
                            "Keep options similar in length and style.",
                            "Avoid 'all of the above' and 'none of the above'.",
                        ),
                    ),
                ),
            ),
            Module(
                "Feedback",
                "Turning marks into learning.",
                (
                    Text(
                        "Feedback per option",
                        "Explain why each wrong option is wrong: that is where learning happens.",
                        (
                            "Say what the right answer is and why.",
                            "For each distractor, name the mistake it represents.",
                            "Link to the lesson that covers the idea.",
                        ),
                    ),
                    File("Module summary (PDF)", "A question-review checklist."),
                ),
            ),
        ),
        announcements=(
            (
                "Share your questions",
                "Post a question you wrote in the discussion and we will review a few "
                "together next week.",
            ),
        ),
        learners=(
            (INSTRUCTOR, 1.0),
            ("jonas.lindqvist@example.com", 0.5),
            ("sofia.ferreira@example.com", 0.0),
            ("kenji.watanabe@example.com", 0.7),
        ),
    ),
    Course(
        slug="accessible-course-design",
        title="Accessible Course Design",
        summary="Courses everyone can use: structure, alternatives and plain language.",
        description=(
            "Accessibility is part of good teaching. This course covers headings, links, "
            "images, captions and documents, so every learner can take part.\n\n## Who it "
            "is for\n\nAnyone who builds courses, and wants every learner to be able to "
            "take part, whatever their sight, hearing, mobility or first language."
        ),
        category="teaching-and-learning",
        tags=("accessibility", "course-design"),
        level="intermediate",
        hours="4",
        instructor=MARCUS,
        prerequisites=("teaching-online",),
        chained_lessons=True,
        modules=(
            Module(
                "Structure",
                "Headings, links and lists.",
                (
                    WELCOME,
                    Text(
                        "Headings and links",
                        "Screen reader users move through a page by its headings and links.",
                        (
                            "Use headings in order, without skipping levels.",
                            "Link text says where the link goes: never 'click here'.",
                            "Use real lists for lists.",
                        ),
                        code=(
                            "markdown",
                            "## Week 1\n\nRead [the course handbook](https://example.org/handbook).",
                        ),
                    ),
                    Text(
                        "Images and alternatives",
                        "Every meaningful image needs a text alternative.",
                        (
                            "Alt text says what the image shows and why it matters.",
                            "Decorative images get empty alt text.",
                            "Charts need their data in a table or text too.",
                        ),
                    ),
                ),
            ),
            Module(
                "Media and documents",
                "Captions, transcripts and PDFs.",
                (
                    Text(
                        "Captions and transcripts",
                        "Captions serve people who cannot hear the audio; transcripts serve "
                        "people who prefer to read or search.",
                        (
                            "Caption every video, including speaker changes.",
                            "Provide a transcript next to the video.",
                            "Describe important visual information in words.",
                        ),
                        link=(
                            "WCAG 2.2 quick reference",
                            "https://www.w3.org/WAI/WCAG22/quickref/",
                        ),
                    ),
                    Text(
                        "Plain language",
                        "Short sentences and common words help everyone, especially people "
                        "reading in a second language.",
                        (
                            "One idea per sentence.",
                            "Explain terms the first time you use them.",
                            "Use the active voice: 'submit your work', not 'work is submitted'.",
                        ),
                    ),
                    File("Module summary (PDF)", "An accessibility checklist for your course."),
                ),
            ),
        ),
        announcements=(
            (
                "Lessons open in order",
                "Each lesson opens once you complete the one before it.",
            ),
        ),
        learners=(
            ("chloe.martin@example.com", 0.4),
            ("fatima.haddad@example.com", 0.2),
        ),
    ),
    Course(
        slug="giving-feedback-that-helps",
        title="Giving Feedback That Helps",
        summary="Specific, timely, kind feedback that learners act on.",
        description=(
            "Feedback changes what learners do next, when it is specific and arrives in "
            "time. This short course gives you a simple structure and lots of examples.\n\n"
            "## You will learn to\n\n- describe what you saw\n- explain its effect\n- suggest "
            "one next step\n"
        ),
        category="teaching-and-learning",
        tags=("feedback", "assessment"),
        level="beginner",
        hours="2",
        instructor=INSTRUCTOR,
        modules=(
            Module(
                "A simple structure",
                "Observation, effect, next step.",
                (
                    WELCOME,
                    Text(
                        "Observation, effect, next step",
                        "Three sentences are often enough.",
                        (
                            "Observation: what you saw, quoted or pointed to.",
                            "Effect: why it matters for the reader or the result.",
                            "Next step: one concrete change to try.",
                        ),
                    ),
                ),
            ),
            Module(
                "In practice",
                "Timing and tone.",
                (
                    Text(
                        "Timing",
                        "Feedback helps most while the work is still fresh.",
                        (
                            "Aim for a few days, not a few weeks.",
                            "Short feedback soon beats long feedback late.",
                            "Tell learners when to expect it.",
                        ),
                    ),
                    Text(
                        "Tone",
                        "Kind and clear are not opposites.",
                        (
                            "Talk about the work, not the person.",
                            "Name what works as specifically as what does not.",
                            "Ask a question when you are unsure what was meant.",
                        ),
                    ),
                    File("Module summary (PDF)", "Feedback phrases to adapt."),
                ),
            ),
        ),
        announcements=(
            (
                "Welcome",
                "This is a short course: about two hours in all. Enjoy it!",
            ),
        ),
        learners=(
            (LEARNER, 0.0),
            ("david.cohen@example.com", 1.0),
            ("mei.chen@example.com", 0.5),
        ),
    ),
    # -- Safety and compliance -----------------------------------------------------------
    Course(
        slug="introduction-to-data-protection",
        title="Introduction to Data Protection",
        summary="What personal data is, and how to look after it at school and at work.",
        description=(
            "Everyone who handles information about people needs the basics of data "
            "protection. This course explains what personal data is, the principles for "
            "handling it, and what to do when something goes wrong.\n\n## You will learn "
            "to\n\n- recognise personal and special category data\n- apply the data "
            "protection principles\n- respond to a request from a data subject\n"
        ),
        category="safety-and-compliance",
        tags=("gdpr", "privacy"),
        level="beginner",
        hours="3",
        instructor=INSTRUCTOR,
        teaching_assistant=TA,
        modules=(
            Module(
                "Personal data",
                "What it is and why it matters.",
                (
                    WELCOME,
                    Text(
                        "What counts as personal data",
                        "Personal data is any information about an identified or "
                        "identifiable person.",
                        (
                            "Names, email addresses and ID numbers are personal data.",
                            "So is data that identifies someone when combined with other data.",
                            "Health, religion and biometrics are special categories.",
                        ),
                        link=(
                            "ICO: what is personal data?",
                            "https://ico.org.uk/for-organisations/uk-gdpr-guidance-and-resources/personal-information-what-is-it/",
                        ),
                    ),
                    Text(
                        "The principles",
                        "Seven principles guide every use of personal data.",
                        (
                            "Lawful, fair and transparent; for a stated purpose.",
                            "Only the data you need, accurate, kept no longer than needed.",
                            "Kept secure, and you can show you comply.",
                        ),
                    ),
                ),
            ),
            Module(
                "In practice",
                "Everyday handling and requests.",
                (
                    Text(
                        "Everyday handling",
                        "Most incidents come from everyday slips, not hackers.",
                        (
                            "Check the recipient before sending an email.",
                            "Lock your screen when you step away.",
                            "Share links with named people, not 'anyone with the link'.",
                        ),
                    ),
                    Text(
                        "Requests from individuals",
                        "People may ask to see, correct or delete their data.",
                        (
                            "Recognise a request even when it does not use legal words.",
                            "Pass it to your data protection contact the same day.",
                            "The organisation usually has one month to respond.",
                        ),
                    ),
                    File("Module summary (PDF)", "The principles and everyday habits on one page."),
                ),
            ),
        ),
        announcements=(
            (
                "Annual refresher",
                "This course is part of the annual refresher: please complete it by the "
                "end of the month.",
            ),
            (
                "New lesson on requests",
                "We added a lesson on **requests from individuals** in module 2.",
            ),
        ),
        due_in_days=(4, 11),
        learners=(
            (LEARNER, 1.0),
            ("jonas.lindqvist@example.com", 0.8),
            ("sofia.ferreira@example.com", 1.0),
            ("chloe.martin@example.com", 0.2),
            ("noah.schmidt@example.com", 0.6),
        ),
    ),
    Course(
        slug="information-security-essentials",
        title="Information Security Essentials",
        summary="Passwords, phishing and safe habits that stop most attacks.",
        description=(
            "Most attacks start with a message or a reused password. This course covers the "
            "few habits that stop most of them.\n\n## You will learn to\n\n- use a password "
            "manager and two-factor authentication\n- recognise phishing\n- report an "
            "incident quickly\n"
        ),
        category="safety-and-compliance",
        tags=("security", "privacy"),
        level="beginner",
        hours="2",
        instructor=INSTRUCTOR,
        modules=(
            Module(
                "Accounts",
                "Passwords and two-factor authentication.",
                (
                    WELCOME,
                    Text(
                        "Passwords that work",
                        "Long, unique passwords stored in a password manager beat clever "
                        "short ones.",
                        (
                            "Use a password manager to create and remember passwords.",
                            "Never reuse a password between sites.",
                            "A passphrase of four random words is easy to type.",
                        ),
                    ),
                    Text(
                        "Two-factor authentication",
                        "A second factor stops most account takeovers.",
                        (
                            "Prefer an authenticator app or a security key to SMS.",
                            "Keep recovery codes somewhere safe and offline.",
                            "Never read a code out to someone who calls you.",
                        ),
                    ),
                ),
            ),
            Module(
                "Phishing",
                "Spotting and reporting.",
                (
                    Text(
                        "Spotting phishing",
                        "Phishing messages create urgency to stop you thinking.",
                        (
                            "Check the sender's real address, not the display name.",
                            "Hover over links before clicking.",
                            "Unexpected attachments and payment changes are red flags.",
                        ),
                        link=(
                            "NCSC: phishing attacks",
                            "https://www.ncsc.gov.uk/guidance/phishing",
                        ),
                    ),
                    Text(
                        "Reporting quickly",
                        "Reporting fast limits the damage, even if you clicked.",
                        (
                            "Report suspicious messages with the report button.",
                            "If you entered a password, change it and say so.",
                            "Nobody is blamed for reporting honestly.",
                        ),
                    ),
                    File("Module summary (PDF)", "A one-page phishing checklist."),
                ),
            ),
        ),
        announcements=(
            (
                "Phishing exercise",
                "A simulated phishing email will be sent next month. Report it as you "
                "would a real one.",
            ),
        ),
        learners=(
            (LEARNER, 1.0),
            ("amara.okafor@example.com", 1.0),
            ("sofia.ferreira@example.com", 1.0),
            ("kenji.watanabe@example.com", 0.4),
            ("liam.oconnor@example.com", 0.0),
        ),
    ),
    Course(
        slug="handling-a-data-breach",
        title="Handling a Data Breach",
        summary="The first 72 hours: contain, assess, notify and learn.",
        description=(
            "When personal data is lost or exposed, the first hours matter. This course "
            "walks through a realistic breach, from the first report to the lessons "
            "learned.\n\n## Who it is for\n\nPeople who will coordinate the response to an "
            "incident: data protection leads, IT and team managers."
        ),
        category="safety-and-compliance",
        tags=("gdpr", "security", "incident-response"),
        level="advanced",
        hours="4",
        instructor=INSTRUCTOR,
        prerequisites=("introduction-to-data-protection", "information-security-essentials"),
        enrolment="manual",
        capacity=20,
        chained_lessons=True,
        modules=(
            Module(
                "The first hours",
                "Contain and assess.",
                (
                    WELCOME,
                    Text(
                        "Containing the breach",
                        "Stop the leak before anything else.",
                        (
                            "Recall the email, revoke the link, disable the account.",
                            "Keep evidence: do not delete logs or messages.",
                            "Write down what happened and when, as you go.",
                        ),
                    ),
                    Text(
                        "Assessing the risk",
                        "The risk to people decides what happens next.",
                        (
                            "What data, about how many people, exposed to whom?",
                            "Could it cause harm: fraud, distress, discrimination?",
                            "Was the data encrypted, and is the key safe?",
                        ),
                    ),
                ),
            ),
            Module(
                "Notifying",
                "Regulators and individuals.",
                (
                    Text(
                        "Telling the regulator",
                        "Notifiable breaches must be reported within 72 hours of discovery.",
                        (
                            "Report what you know; add details as you learn them.",
                            "Record breaches you decide not to report, with reasons.",
                            "One person coordinates all communication.",
                        ),
                        link=(
                            "ICO: 72 hours, how to respond to a personal data breach",
                            "https://ico.org.uk/for-organisations/report-a-breach/",
                        ),
                    ),
                    Text(
                        "Telling the people affected",
                        "High-risk breaches must be told to the people affected.",
                        (
                            "Say what happened, in plain language.",
                            "Say what they can do to protect themselves.",
                            "Give a contact who can answer questions.",
                        ),
                    ),
                ),
            ),
            Module(
                "Afterwards",
                "Learning from the incident.",
                (
                    Text(
                        "The review",
                        "A blameless review finds causes, not culprits.",
                        (
                            "Reconstruct the timeline from your notes.",
                            "Ask why at least three times.",
                            "Agree actions with owners and dates.",
                        ),
                    ),
                    File("Module summary (PDF)", "A 72-hour breach response checklist."),
                ),
            ),
        ),
        announcements=(
            (
                "Places are limited",
                "This course has 20 places and runs as a workshop. Your manager enrols you.",
            ),
        ),
        due_in_days=(6,),
        learners=(
            (LEARNER, 0.2),
            ("sofia.ferreira@example.com", 0.6),
        ),
    ),
    Course(
        slug="health-and-safety-at-work",
        title="Health and Safety at Work",
        summary="Risk assessment, workstations and what to do in an emergency.",
        description=(
            "Everyone has a part in keeping the workplace safe. This course covers the "
            "basics of risk assessment, comfortable workstations and emergencies.\n\n## You "
            "will learn to\n\n- spot hazards and assess risk\n- set up a comfortable "
            "workstation\n- act calmly in an emergency\n"
        ),
        category="safety-and-compliance",
        tags=("safety", "wellbeing"),
        level="beginner",
        hours="2",
        instructor=MARCUS,
        modules=(
            Module(
                "Risk",
                "Hazards and risk assessment.",
                (
                    WELCOME,
                    Text(
                        "Hazard and risk",
                        "A hazard can cause harm; a risk is how likely and how bad.",
                        (
                            "Walk around and list hazards: cables, stairs, chemicals.",
                            "Rate each by likelihood and severity.",
                            "Fix the highest risks first, then review.",
                        ),
                    ),
                    Text(
                        "Your workstation",
                        "A few adjustments prevent most aches.",
                        (
                            "Top of the screen at eye level, an arm's length away.",
                            "Feet flat, back supported, elbows at desk height.",
                            "Stand up and move every half hour.",
                        ),
                    ),
                ),
            ),
            Module(
                "Emergencies",
                "Fire, first aid and reporting.",
                (
                    Text(
                        "In an emergency",
                        "Know the plan before you need it.",
                        (
                            "Know your two nearest exits and the assembly point.",
                            "Know who the first aiders are and where the kit is.",
                            "Call the emergency number first, then your manager.",
                        ),
                    ),
                    File("Module summary (PDF)", "Emergency information to keep at your desk."),
                ),
            ),
        ),
        announcements=(
            (
                "Fire drill",
                "There will be a fire drill next Tuesday morning. Please take part.",
            ),
            (
                "New first aiders",
                "Welcome to our three new first aiders: their names are on the notice board.",
            ),
        ),
        due_in_days=(1,),
        learners=(
            ("jonas.lindqvist@example.com", 1.0),
            ("kenji.watanabe@example.com", 0.3),
            ("fatima.haddad@example.com", 0.6),
            ("noah.schmidt@example.com", 1.0),
        ),
    ),
)
