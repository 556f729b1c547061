//! The nutshell call demo. Work in progress.

fn main() {
    println!("nutshell demo: not written yet");
}
