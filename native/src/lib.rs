//! N-Triples into arrays for kgdecide, with Oxigraph's own parser (`oxttl`).
//!
//! `parse_ntriples` reads a file in line-aligned blocks, parses them on worker threads with the
//! GIL released and interns terms, predicates, datatypes and language tags, so that Python gets
//! one `str` per *unique* term and the triples as `uint32` arrays, never a Python object per
//! triple.
//!
//! Bad lines: a block whose parse fails is parsed again line by line, so each bad line is named
//! (1-based line, 1-based column, oxttl's message) and only that line's triples are dropped,
//! the same result as parsing every line alone.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::sync::{mpsc, Arc, Mutex};

use oxrdf::{NamedOrBlankNode, Term, Triple};
use oxttl::NTriplesParser;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use rustc_hash::FxHashMap;

/// Why a line with an RDF 1.2 triple term is refused: the property graph has no place for it.
const TRIPLE_TERM: &str = "RDF 1.2 triple terms (<<( ... )>>) are not supported";

/// Strings to dense ids, in first-seen order.
#[derive(Default)]
struct Interner {
    index: FxHashMap<String, u32>,
}

impl Interner {
    fn id(&mut self, key: String) -> u32 {
        let next = self.index.len() as u32;
        *self.index.entry(key).or_insert(next)
    }

    fn id_of(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.index.get(key) {
            return id;
        }
        self.id(key.to_owned())
    }

    /// The strings, ordered by id.
    fn into_vec(self) -> Vec<String> {
        let mut out = vec![String::new(); self.index.len()];
        for (key, id) in self.index {
            out[id as usize] = key;
        }
        out
    }
}

/// One bad line: 1-based line (within its part until merged), 1-based column, message.
type Bad = (u64, u64, String);

/// Triples of one stretch of the file, with ids local to it.
#[derive(Default)]
struct Part {
    terms: Interner, // IRIs as they are, blank nodes as "_:label"
    preds: Interner,
    datatypes: Interner,
    langs: Interner, // "" (id 0) for a literal without a language tag
    edge_s: Vec<u32>,
    edge_p: Vec<u32>,
    edge_o: Vec<u32>,
    lit_s: Vec<u32>,
    lit_p: Vec<u32>,
    lit_datatype: Vec<u32>,
    lit_lang: Vec<u32>,
    lit_value: Vec<String>,
    blank: Vec<bool>, // per term id: is it a blank node
    bad: Vec<Bad>,
    lines: u64,
    // The last IRI subject and its id: files list a subject's triples together, so most
    // subjects are found by one string comparison instead of a hash look-up.
    last_subject: Option<(String, u32)>,
}

impl Part {
    fn new() -> Self {
        let mut part = Self::default();
        part.langs.id_of("");
        part
    }

    fn term(&mut self, key: String, blank: bool) -> u32 {
        let id = self.terms.id(key);
        if id as usize == self.blank.len() {
            self.blank.push(blank);
        }
        id
    }

    fn subject(&mut self, node: NamedOrBlankNode) -> u32 {
        match node {
            NamedOrBlankNode::NamedNode(n) => {
                if let Some((last, id)) = &self.last_subject {
                    if last.as_str() == n.as_str() {
                        return *id;
                    }
                }
                let iri = n.into_string();
                let id = self.term(iri.clone(), false);
                self.last_subject = Some((iri, id));
                id
            }
            NamedOrBlankNode::BlankNode(b) => self.term(format!("_:{}", b.as_str()), true),
        }
    }

    /// Adds a triple; `Err` for a triple term object, which the graph cannot hold.
    fn add(&mut self, triple: Triple) -> Result<(), &'static str> {
        if matches!(triple.object, Term::Triple(_)) {
            return Err(TRIPLE_TERM);
        }
        let s = self.subject(triple.subject);
        let p = self.preds.id(triple.predicate.into_string());
        match triple.object {
            Term::NamedNode(n) => {
                let o = self.term(n.into_string(), false);
                self.edge(s, p, o);
            }
            Term::BlankNode(b) => {
                let o = self.term(format!("_:{}", b.as_str()), true);
                self.edge(s, p, o);
            }
            Term::Literal(literal) => {
                let datatype = self.datatypes.id_of(literal.datatype().as_str());
                let lang = self.langs.id_of(literal.language().unwrap_or(""));
                let value = literal.destruct().0;
                self.lit_s.push(s);
                self.lit_p.push(p);
                self.lit_datatype.push(datatype);
                self.lit_lang.push(lang);
                self.lit_value.push(value);
            }
            Term::Triple(_) => unreachable!("refused above"),
        }
        Ok(())
    }

    fn edge(&mut self, s: u32, p: u32, o: u32) {
        self.edge_s.push(s);
        self.edge_p.push(p);
        self.edge_o.push(o);
    }
}

/// Parses whole lines; on any error, again line by line to name and skip exactly the bad ones.
fn parse_part(data: &[u8]) -> Part {
    let mut part = Part::new();
    part.lines = count_lines(data);
    let mut clean = true;
    for result in NTriplesParser::new().for_slice(data) {
        match result.map_err(|_| ()).and_then(|t| part.add(t).map_err(|_| ())) {
            Ok(()) => {}
            Err(()) => {
                clean = false;
                break;
            }
        }
    }
    if clean {
        return part;
    }
    let mut part = Part::new();
    part.lines = count_lines(data);
    // Each line without its line end, so that a missing dot is reported on its own line.
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        match parse_line(line) {
            Ok(triples) => {
                for triple in triples {
                    part.add(triple).expect("checked by parse_line");
                }
            }
            Err((column, message)) => part.bad.push((i as u64 + 1, column, message)),
        }
    }
    part
}

fn parse_line(line: &[u8]) -> Result<Vec<Triple>, (u64, String)> {
    let mut triples = Vec::new();
    for result in NTriplesParser::new().for_slice(line) {
        match result {
            Ok(triple) if matches!(triple.object, Term::Triple(_)) => {
                return Err((1, TRIPLE_TERM.to_owned()));
            }
            Ok(triple) => triples.push(triple),
            Err(e) => return Err((e.location().start.column + 1, e.message().to_owned())),
        }
    }
    Ok(triples)
}

fn count_lines(data: &[u8]) -> u64 {
    let newlines = data.iter().filter(|&&b| b == b'\n').count() as u64;
    newlines + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// The whole file so far, ids global.
struct Whole {
    part: Part,
}

impl Whole {
    /// Appends `more`, renumbering its ids; its lines follow the ones read so far.
    fn append(&mut self, more: Part) {
        let w = &mut self.part;
        let blank = more.blank;
        let terms: Vec<u32> = more
            .terms
            .into_vec()
            .into_iter()
            .zip(blank)
            .map(|(key, is_blank)| w.term(key, is_blank))
            .collect();
        let preds = remap(&mut w.preds, more.preds);
        let datatypes = remap(&mut w.datatypes, more.datatypes);
        let langs = remap(&mut w.langs, more.langs);
        let map = |ids: &[u32], table: &[u32]| ids.iter().map(|&i| table[i as usize]).collect::<Vec<_>>();
        w.edge_s.extend(map(&more.edge_s, &terms));
        w.edge_p.extend(map(&more.edge_p, &preds));
        w.edge_o.extend(map(&more.edge_o, &terms));
        w.lit_s.extend(map(&more.lit_s, &terms));
        w.lit_p.extend(map(&more.lit_p, &preds));
        w.lit_datatype.extend(map(&more.lit_datatype, &datatypes));
        w.lit_lang.extend(map(&more.lit_lang, &langs));
        w.lit_value.extend(more.lit_value);
        let offset = w.lines;
        w.bad.extend(more.bad.into_iter().map(|(line, column, message)| (line + offset, column, message)));
        w.lines += more.lines;
    }
}

fn remap(global: &mut Interner, local: Interner) -> Vec<u32> {
    local.into_vec().into_iter().map(|key| global.id(key)).collect()
}

/// The file as blocks of whole lines: each block is about `block_bytes` long and ends after
/// its last line end (a line longer than a block makes a longer block).
struct Blocks {
    file: File,
    block_bytes: usize,
    rest: Vec<u8>,
    done: bool,
}

impl Blocks {
    fn new(file: File, block_bytes: usize) -> Self {
        Self { file, block_bytes, rest: Vec::new(), done: false }
    }

    fn next_block(&mut self) -> io::Result<Option<Vec<u8>>> {
        while !self.done {
            let start = self.rest.len();
            self.rest.resize(start + self.block_bytes, 0);
            let read = read_full(&mut self.file, &mut self.rest[start..])?;
            self.rest.truncate(start + read);
            if read == 0 {
                self.done = true;
                break;
            }
            if let Some(i) = self.rest.iter().rposition(|&b| b == b'\n') {
                let tail = self.rest.split_off(i + 1);
                return Ok(Some(std::mem::replace(&mut self.rest, tail)));
            }
        }
        Ok((!self.rest.is_empty()).then(|| std::mem::take(&mut self.rest)))
    }
}

/// Reads and parses `path`. With several threads, a reader thread cuts blocks, `threads`
/// workers parse them as they come (no block waits for another) and this thread merges the
/// parts in file order, so the result is the same for any thread count.
fn parse_file(
    path: &str,
    skip_bad: bool,
    block_bytes: usize,
    threads: usize,
    progress: &(dyn Fn(usize) -> PyResult<()> + Sync),
) -> PyResult<Part> {
    let mut blocks = Blocks::new(File::open(path)?, block_bytes);
    let mut whole = Whole { part: Part::new() };
    // Merges one part; false when reading should stop (first bad line without skip_bad).
    let mut merge = |bytes: usize, part: Part| -> PyResult<bool> {
        whole.append(part);
        progress(bytes)?;
        Ok(skip_bad || whole.part.bad.is_empty())
    };
    if threads <= 1 {
        while let Some(block) = blocks.next_block()? {
            if !merge(block.len(), parse_part(&block))? {
                break;
            }
        }
        return Ok(whole.part);
    }
    std::thread::scope(|scope| -> PyResult<()> {
        // Few blocks in flight: memory stays bounded whatever the file size.
        let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Vec<u8>)>(threads);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (part_tx, part_rx) = mpsc::channel::<(usize, usize, Part)>();
        for _ in 0..threads {
            let job_rx = Arc::clone(&job_rx);
            let part_tx = part_tx.clone();
            scope.spawn(move || loop {
                let job = job_rx.lock().map_err(|_| ()).and_then(|rx| rx.recv().map_err(|_| ()));
                let Ok((index, block)) = job else { break };
                let part = parse_part(&block);
                if part_tx.send((index, block.len(), part)).is_err() {
                    break; // the merger stopped early
                }
            });
        }
        // Only the workers hold the two channel ends from here: once they stop, so does the
        // reader, and once the merger stops, so do they.
        drop(job_rx);
        drop(part_tx);
        let reader = scope.spawn(move || -> io::Result<()> {
            let mut index = 0;
            while let Some(block) = blocks.next_block()? {
                if job_tx.send((index, block)).is_err() {
                    break; // the workers stopped: the merger stopped early
                }
                index += 1;
            }
            Ok(())
        });
        let mut waiting: BTreeMap<usize, (usize, Part)> = BTreeMap::new();
        let mut next = 0;
        let mut outcome = Ok(());
        'parts: for (index, bytes, part) in part_rx.iter() {
            waiting.insert(index, (bytes, part));
            while let Some((bytes, part)) = waiting.remove(&next) {
                next += 1;
                match merge(bytes, part) {
                    Ok(true) => {}
                    Ok(false) => break 'parts,
                    Err(e) => {
                        outcome = Err(e);
                        break 'parts;
                    }
                }
            }
        }
        drop(part_rx); // lets the workers, then the reader, stop
        let read = reader.join().expect("reader thread panicked");
        outcome?;
        read.map_err(PyErr::from)
    })?;
    Ok(whole.part)
}

fn read_full(file: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn u32_bytes<'py>(py: Python<'py>, values: &[u32]) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, values.len() * 4, |buffer| {
        for (chunk, value) in buffer.chunks_exact_mut(4).zip(values) {
            chunk.copy_from_slice(&value.to_le_bytes());
        }
        Ok(())
    })
}

/// Parse an N-Triples file into interned columns.
///
/// Returns a dict: ``terms`` (IRIs, and blank nodes as ``_:label``, in first-seen order),
/// ``term_blank`` (bytes, 1 per blank-node term), ``predicates``, ``datatypes`` and ``langs``
/// (``langs[0] == ""``): lists of unique strings; ``edge_s``, ``edge_p``, ``edge_o``,
/// ``lit_s``, ``lit_p``, ``lit_datatype``, ``lit_lang``: little-endian uint32 arrays as bytes,
/// in file order; ``lit_value``: list of str; ``bad``: list of (line, column, message), 1-based;
/// ``lines``: lines read. Without ``skip_bad``, reading stops after the block with the first
/// bad line. ``progress`` is called with the bytes consumed after each block.
#[pyfunction]
#[pyo3(signature = (path, skip_bad = false, progress = None, block_bytes = 4 << 20, threads = 2))]
fn parse_ntriples<'py>(
    py: Python<'py>,
    path: &str,
    skip_bad: bool,
    progress: Option<Py<PyAny>>,
    block_bytes: usize,
    threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    if block_bytes == 0 {
        return Err(PyValueError::new_err("block_bytes must be positive"));
    }
    // After each block: let Ctrl-C through (signals wait for the GIL) and report progress.
    let report = |n: usize| -> PyResult<()> {
        Python::attach(|py| {
            py.check_signals()?;
            match &progress {
                Some(callback) => callback.call1(py, (n,)).map(|_| ()),
                None => Ok(()),
            }
        })
    };
    let path = path.to_owned();
    let part = py.detach(move || parse_file(&path, skip_bad, block_bytes, threads, &report))?;
    let out = PyDict::new(py);
    let blank: Vec<u8> = part.blank.iter().map(|&b| u8::from(b)).collect();
    out.set_item("term_blank", PyBytes::new(py, &blank))?;
    out.set_item("edge_s", u32_bytes(py, &part.edge_s)?)?;
    out.set_item("edge_p", u32_bytes(py, &part.edge_p)?)?;
    out.set_item("edge_o", u32_bytes(py, &part.edge_o)?)?;
    out.set_item("lit_s", u32_bytes(py, &part.lit_s)?)?;
    out.set_item("lit_p", u32_bytes(py, &part.lit_p)?)?;
    out.set_item("lit_datatype", u32_bytes(py, &part.lit_datatype)?)?;
    out.set_item("lit_lang", u32_bytes(py, &part.lit_lang)?)?;
    out.set_item("lines", part.lines)?;
    out.set_item("bad", PyList::new(py, part.bad)?)?;
    out.set_item("terms", PyList::new(py, part.terms.into_vec())?)?;
    out.set_item("predicates", PyList::new(py, part.preds.into_vec())?)?;
    out.set_item("datatypes", PyList::new(py, part.datatypes.into_vec())?)?;
    out.set_item("langs", PyList::new(py, part.langs.into_vec())?)?;
    out.set_item("lit_value", PyList::new(py, part.lit_value)?)?;
    Ok(out)
}

/// What the SPARQL guard needs to know of a query, read from the parse tree Oxigraph itself
/// evaluates (spargebra, the version pyoxigraph is built with): its form (`select`, `construct`,
/// `describe`, `ask`) and whether any part of it, however nested (sub-selects, OPTIONAL,
/// FILTER EXISTS, ...), is a `SERVICE` call. Raises `ValueError` with the parser's message for
/// anything that is not one query: updates (INSERT, LOAD, ...) are not query grammar.
#[pyfunction]
fn sparql_query_shape(query: &str) -> PyResult<(&'static str, bool)> {
    use spargebra::{Query, SparqlParser};

    let parsed = SparqlParser::new()
        .parse_query(query)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(match &parsed {
        Query::Select { pattern, .. } => ("select", pattern_calls_service(pattern)),
        Query::Construct { pattern, .. } => ("construct", pattern_calls_service(pattern)),
        Query::Describe { pattern, .. } => ("describe", pattern_calls_service(pattern)),
        Query::Ask { pattern, .. } => ("ask", pattern_calls_service(pattern)),
    })
}

/// Every variant is matched by name (no `_` arm), so a spargebra upgrade that adds one fails
/// to compile here instead of being waved through.
fn pattern_calls_service(pattern: &spargebra::algebra::GraphPattern) -> bool {
    use spargebra::algebra::{AggregateExpression, GraphPattern as P, OrderExpression};

    match pattern {
        P::Service { .. } => true,
        P::Bgp { .. } | P::Path { .. } | P::Values { .. } => false,
        P::Join { left, right }
        | P::Lateral { left, right }
        | P::Union { left, right }
        | P::Minus { left, right } => pattern_calls_service(left) || pattern_calls_service(right),
        P::LeftJoin { left, right, expression } => {
            pattern_calls_service(left)
                || pattern_calls_service(right)
                || expression.as_ref().is_some_and(expression_calls_service)
        }
        P::Filter { expr, inner } => expression_calls_service(expr) || pattern_calls_service(inner),
        P::Extend { inner, expression, .. } => {
            expression_calls_service(expression) || pattern_calls_service(inner)
        }
        P::OrderBy { inner, expression } => {
            pattern_calls_service(inner)
                || expression.iter().any(|order| match order {
                    OrderExpression::Asc(e) | OrderExpression::Desc(e) => expression_calls_service(e),
                })
        }
        P::Group { inner, aggregates, .. } => {
            pattern_calls_service(inner)
                || aggregates.iter().any(|(_, aggregate)| match aggregate {
                    AggregateExpression::CountSolutions { .. } => false,
                    AggregateExpression::FunctionCall { expr, .. } => expression_calls_service(expr),
                })
        }
        P::Graph { inner, .. }
        | P::Project { inner, .. }
        | P::Distinct { inner }
        | P::Reduced { inner }
        | P::Slice { inner, .. } => pattern_calls_service(inner),
    }
}

fn expression_calls_service(expression: &spargebra::algebra::Expression) -> bool {
    use spargebra::algebra::Expression as E;

    match expression {
        E::Exists(pattern) => pattern_calls_service(pattern),
        E::NamedNode(_) | E::Literal(_) | E::Variable(_) | E::Bound(_) => false,
        E::Or(a, b)
        | E::And(a, b)
        | E::Equal(a, b)
        | E::SameTerm(a, b)
        | E::Greater(a, b)
        | E::GreaterOrEqual(a, b)
        | E::Less(a, b)
        | E::LessOrEqual(a, b)
        | E::Add(a, b)
        | E::Subtract(a, b)
        | E::Multiply(a, b)
        | E::Divide(a, b) => expression_calls_service(a) || expression_calls_service(b),
        E::UnaryPlus(a) | E::UnaryMinus(a) | E::Not(a) => expression_calls_service(a),
        E::In(a, list) => expression_calls_service(a) || list.iter().any(expression_calls_service),
        E::If(a, b, c) => {
            expression_calls_service(a) || expression_calls_service(b) || expression_calls_service(c)
        }
        E::Coalesce(list) | E::FunctionCall(_, list) => list.iter().any(expression_calls_service),
    }
}

#[pymodule]
fn kgdecide_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_ntriples, m)?)?;
    m.add_function(wrap_pyfunction!(sparql_query_shape, m)?)?;
    m.add("SPARGEBRA_VERSION", "0.4.8")?;
    m.add("OXTTL_VERSION", "0.2.5")?;
    Ok(())
}
